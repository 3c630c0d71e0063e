import Foundation

/// An action or check as the language sees it: its declared inputs, and how a
/// call turns into concrete operations. The engine adds `run` (see
/// `ExecutableAction` in RunbookEngine); `plan` is shared so that what people
/// review with `runbook plan` is exactly what `runbook run` executes.
public protocol ActionDefinition: Sendable {
    var spec: ActionSpec { get }

    /// What this call would do, in order. Must not touch the system: a dry run calls only this.
    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation]

    /// For plans only: the outputs this call would give if the run got here now, when they come
    /// from local state it may read without changing anything (the manifest that names `latest`).
    /// Later steps then plan with real values instead of `<steps.x.outputs.y>`. Empty by default;
    /// the run computes the outputs again, and a plan says so.
    func plannedOutputs(_ call: ResolvedCall, in context: PlanContext) -> [String: Value]
}

extension ActionDefinition {
    public func plannedOutputs(_ call: ResolvedCall, in context: PlanContext) -> [String: Value] { [:] }
}

/// An action's inputs after `${...}` resolution and defaults.
public struct ResolvedCall: Sendable {
    public var spec: ActionSpec
    public var stepID: String
    public var inputs: [String: Value]
    /// Inputs of type `target(...)`, bound through the profile.
    public var targets: [String: TargetDecl]
    /// The environment that inputs of type `shell` expect: the values of their `${...}`
    /// references, which the text expands instead of containing them (see `ShellText`).
    public var shellVariables: [String: String] = [:]

    public init(spec: ActionSpec, stepID: String, inputs: [String: Value], targets: [String: TargetDecl] = [:]) {
        self.spec = spec
        self.stepID = stepID
        self.inputs = inputs
        self.targets = targets
    }

    public func has(_ name: String) -> Bool {
        if let v = inputs[name], v != .null { return true }
        return false
    }

    public func string(_ name: String) throws -> String {
        guard let v = inputs[name], v != .null else { throw ActionInputError.missing(name) }
        if case .secret = v { throw ActionInputError.secretNotAllowed(name) }
        if case .list = v { throw ActionInputError.wrongType(name, expected: "a string") }
        if case .map = v { throw ActionInputError.wrongType(name, expected: "a string") }
        return v.description
    }

    public func optionalString(_ name: String) -> String? {
        guard let v = inputs[name], v != .null else { return nil }
        return v.description
    }

    public func int(_ name: String) throws -> Int {
        guard let v = inputs[name], v != .null else { throw ActionInputError.missing(name) }
        guard let i = v.intValue else { throw ActionInputError.wrongType(name, expected: "an integer") }
        return i
    }

    public func bool(_ name: String) throws -> Bool {
        guard let v = inputs[name], v != .null else { throw ActionInputError.missing(name) }
        guard let b = v.boolValue else { throw ActionInputError.wrongType(name, expected: "a boolean") }
        return b
    }

    /// Seconds; accepts `90`, `90s`, `5m`, `1h30m`.
    public func duration(_ name: String) throws -> Double {
        let s = try string(name)
        guard let d = Duration.parseSeconds(s) else { throw ActionInputError.wrongType(name, expected: "a duration like 30s or 5m") }
        return d
    }

    /// An environment mapping; `${secrets.X}` values stay symbolic (`EnvValue.secret`).
    public func environment(_ name: String) throws -> [String: EnvValue] {
        guard let v = inputs[name], v != .null else { return [:] }
        guard case .map(let m) = v else { throw ActionInputError.wrongType(name, expected: "a mapping of NAME: value") }
        var env: [String: EnvValue] = [:]
        for (k, value) in m {
            if case .secret(let s) = value { env[k] = .secret(s) } else { env[k] = .literal(value.description) }
        }
        return env
    }

    public func strings(_ name: String) throws -> [String] {
        guard let v = inputs[name], v != .null else { return [] }
        if case .secret = v { throw ActionInputError.secretNotAllowed(name) }
        if case .list(let items) = v { return items.map(\.description) }
        return [v.description]
    }

    public func target(_ name: String) throws -> TargetDecl {
        guard let t = targets[name] else { throw ActionInputError.missing(name) }
        return t
    }

    /// The target bound to input `name`, as the kind the action needs.
    public func target<T: TargetConfiguration>(_ name: String, as type: T.Type) throws -> T {
        let decl = try target(name)
        guard let t = decl.binding.configuration(as: T.self) else {
            throw ActionInputError.invalid(name, "target \"\(decl.name)\" is a \(decl.binding.kind) target, not a \(T.kind.name) target")
        }
        return t
    }
}

public enum ActionInputError: Error, CustomStringConvertible, Sendable {
    case missing(String)
    case wrongType(String, expected: String)
    case invalid(String, String)
    case secretNotAllowed(String)

    public var description: String {
        switch self {
        case .missing(let n): return "input \"\(n)\" is required"
        case .wrongType(let n, let e): return "input \"\(n)\" must be \(e)"
        case .invalid(let n, let why): return "input \"\(n)\": \(why)"
        case .secretNotAllowed(let n): return "input \"\(n)\" cannot take a secret: it would reach a command line; pass secrets through env"
        }
    }
}

/// What `plan` may consult. Nothing here can change the world.
public struct PlanContext: Sendable {
    public var profile: Profile?
    public var runID: String
    /// Where runs keep journals, locks and temporary files.
    public var stateDir: String

    public init(profile: Profile?, runID: String, stateDir: String) {
        self.profile = profile
        self.runID = runID
        self.stateDir = stateDir
    }
}

/// The actions and checks a binary knows: a plain list, no reflection.
public struct ActionCatalog: Sendable {
    public var definitions: [any ActionDefinition]

    public init(_ definitions: [any ActionDefinition]) {
        self.definitions = definitions
    }

    public func definition(_ name: String) -> (any ActionDefinition)? {
        definitions.first { $0.spec.name == name }
    }

    public func names(role: ActionSpec.Role) -> [String] {
        definitions.filter { $0.spec.role == role }.map(\.spec.name)
    }
}
