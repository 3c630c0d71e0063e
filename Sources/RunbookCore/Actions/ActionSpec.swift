import Foundation

/// The declared type of an action input. Validation, the JSON Schema and the
/// reference docs are all generated from these declarations.
public indirect enum InputType: Sendable, Hashable, CustomStringConvertible {
    case string
    case int
    case bool
    /// `30s`, `5m`, `1h30m`, or a number of seconds.
    case duration
    case path
    /// A PostgreSQL-style identifier: letters, digits, `_`, not starting with a digit.
    case identifier
    /// SQL text (shown verbatim in plans; never interpolated into a shell).
    case sql
    /// Shell text run by `/bin/sh -c`: each `${...}` in it reaches the shell as an
    /// environment variable's expansion, never as code (see `ShellText`).
    case shell
    /// The name of a profile target of the given kind.
    case target(TargetKindID)
    /// A secret, written `${secrets.NAME}`: the action reads its value from the run's secrets
    /// itself, so it never reaches a command line, a plan or a log (an age identity).
    case secret
    case oneOf([String])
    case list(InputType)
    /// A mapping from strings to values of the given type.
    case map(InputType)
    /// Any YAML value, typed by something else (`runbook.run`'s params by the called runbook's declarations).
    case value

    public var description: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .bool: return "bool"
        case .duration: return "duration"
        case .path: return "path"
        case .identifier: return "identifier"
        case .sql: return "sql"
        case .shell: return "shell text"
        case .target(let k): return "\(k.rawValue) target"
        case .secret: return "secret"
        case .oneOf(let values): return "one of " + values.joined(separator: ", ")
        case .list(let t): return "list of \(t)"
        case .map(let t): return "map of \(t)"
        case .value: return "value"
        }
    }
}

public struct InputSpec: Sendable {
    public var name: String
    public var type: InputType
    public var required: Bool
    public var defaultValue: Value?
    /// The least value an `int` input accepts (a retention floor, say). It is checked before
    /// anything runs: in the runbook by `InputMinimumRule`, for `--param` values by `InputMinimumCheck`.
    public var minimum: Int?
    public var summary: String

    public init(_ name: String, _ type: InputType, required: Bool = false, default defaultValue: Value? = nil,
                minimum: Int? = nil, _ summary: String) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.summary = summary
    }
}

public struct OutputSpec: Sendable {
    public var name: String
    public var summary: String
    public init(_ name: String, _ summary: String) {
        self.name = name
        self.summary = summary
    }
}

/// What an action or check is, declared once in code.
public struct ActionSpec: Sendable {
    public enum Role: String, Sendable { case action, check }

    /// `family.verb`, e.g. `postgres.dump`.
    public var name: String
    public var role: Role
    public var summary: String
    public var inputs: [InputSpec]
    public var outputs: [OutputSpec]
    /// Changes or destroys data; the plan marks it and runs need a confirmation.
    public var destructive: Bool

    public init(_ name: String, role: Role = .action, summary: String, inputs: [InputSpec],
                outputs: [OutputSpec] = [], destructive: Bool = false) {
        self.name = name
        self.role = role
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.destructive = destructive
    }

    public var family: String { String(name.split(separator: ".").first ?? "") }
    public func input(_ name: String) -> InputSpec? { inputs.first { $0.name == name } }
}
