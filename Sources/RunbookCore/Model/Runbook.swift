import Foundation

/// A parsed runbook: what to do, never where (that is the profile's job).
///
/// Produced by `RunbookLoader` from a `YAMLDocument`; every field keeps enough
/// location information for rules to point at the offending text.
public struct Runbook: Sendable {
    public var name: String
    public var nameLocation: SourceLocation
    public var summary: String
    public var description: String?
    public var params: [ParamDecl]
    public var secrets: [SecretDecl]
    /// Target names (bound by a profile) the steps use.
    public var requires: [Named]
    /// Extra lock names held for the whole run, besides the runbook's own name.
    public var locks: [Named]
    public var steps: [Step]
    /// Steps that run after any failure (notify, escalate), after rollback.
    public var onFailure: [Step]
    /// The recovery time objective the run is measured against, if the runbook declares one.
    public var rto: RTOObjective?
    /// What a caller reads as `${steps.CALL.outputs.NAME}` after `runbook.run`.
    public var outputs: [OutputDecl] = []
    public var path: String
    /// sha256 of the file's bytes, hex.
    public var digest: String

    public init(name: String, nameLocation: SourceLocation, summary: String = "", description: String? = nil,
                params: [ParamDecl] = [], secrets: [SecretDecl] = [], requires: [Named] = [], locks: [Named] = [],
                steps: [Step] = [], onFailure: [Step] = [], rto: RTOObjective? = nil, path: String, digest: String = "") {
        self.name = name
        self.nameLocation = nameLocation
        self.summary = summary
        self.description = description
        self.params = params
        self.secrets = secrets
        self.requires = requires
        self.locks = locks
        self.steps = steps
        self.onFailure = onFailure
        self.rto = rto
        self.path = path
        self.digest = digest
    }

    public func param(_ name: String) -> ParamDecl? { params.first { $0.name == name } }
    public func output(_ name: String) -> OutputDecl? { outputs.first { $0.name == name } }

    /// The declared outputs' values once the steps have run (`scope` holds their outputs).
    /// A loop step's output is the list of its items' values.
    public func evaluateOutputs(in scope: Scope) throws -> [String: Value] {
        var out: [String: Value] = [:]
        for decl in outputs { out[decl.name] = try Evaluator(scope: scope).value(decl.value.node) }
        return out
    }
    public func secret(_ name: String) -> SecretDecl? { secrets.first { $0.name == name } }
}

/// One of a runbook's `outputs:`: a name bound to a reference to one of its steps' outputs.
public struct OutputDecl: Sendable {
    public var name: String
    public var location: SourceLocation
    /// `${steps.ID.outputs.NAME}`.
    public var value: Templated
}

/// A name together with where it was written.
public struct Named: Sendable, Hashable {
    public var name: String
    public var location: SourceLocation
    public init(_ name: String, at location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

public struct ParamDecl: Sendable {
    public var name: String
    public var type: ParamType
    public var defaultValue: YNode?
    public var required: Bool
    public var allowed: [String]
    public var pattern: String?
    public var description: String?
    public var location: SourceLocation

    public init(name: String, type: ParamType, defaultValue: YNode? = nil, required: Bool = false,
                allowed: [String] = [], pattern: String? = nil, description: String? = nil, location: SourceLocation) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.allowed = allowed
        self.pattern = pattern
        self.description = description
        self.location = location
    }
}

/// Param types. A list is written `list<identifier>`.
public indirect enum ParamType: Sendable, Hashable, CustomStringConvertible {
    case string, int, bool, duration, path, identifier, timestamp
    case list(ParamType)

    public static let scalarNames = ["string", "int", "bool", "duration", "path", "identifier", "timestamp"]
    public static var allNames: [String] { scalarNames + scalarNames.map { "list<\($0)>" } }

    public init?(name: String) {
        if name.hasPrefix("list<"), name.hasSuffix(">") {
            guard let inner = ParamType(name: String(name.dropFirst(5).dropLast())), !inner.isList else { return nil }
            self = .list(inner)
            return
        }
        switch name {
        case "string": self = .string
        case "int": self = .int
        case "bool": self = .bool
        case "duration": self = .duration
        case "path": self = .path
        case "identifier": self = .identifier
        case "timestamp": self = .timestamp
        default: return nil
        }
    }

    public var isList: Bool { if case .list = self { return true }; return false }

    public var description: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .bool: return "bool"
        case .duration: return "duration"
        case .path: return "path"
        case .identifier: return "identifier"
        case .timestamp: return "timestamp"
        case .list(let t): return "list<\(t)>"
        }
    }
}

/// A secret is declared by name and source; its value never appears in a runbook.
public struct SecretDecl: Sendable {
    public var name: String
    /// Environment variable holding the value.
    public var env: String?
    /// File holding the value (trailing newline stripped).
    public var file: String?
    public var description: String?
    public var location: SourceLocation

    public init(name: String, env: String? = nil, file: String? = nil, description: String? = nil, location: SourceLocation) {
        self.name = name
        self.env = env
        self.file = file
        self.description = description
        self.location = location
    }
}
