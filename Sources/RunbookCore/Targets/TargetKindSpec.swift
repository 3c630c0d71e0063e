import Foundation

/// A target kind's name as a profile writes it (`postgres:`) and as an action input asks for
/// it (`.target(.postgres)`). Kinds declare their names themselves; Core knows none of them.
public struct TargetKindID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (a: TargetKindID, b: TargetKindID) -> Bool { a.rawValue < b.rawValue }
}

/// The type of one profile key of a target kind. The loader checks it, the JSON Schema and
/// docs/format.md describe it.
public enum TargetKeyType: Sendable, Hashable {
    case string
    case int(min: Int? = nil, max: Int? = nil)
    case stringList
    case oneOf([String])
    /// Must be `${secrets.NAME}`: a literal is refused so a secret value never sits in a file.
    case secret
    /// A literal (an identifier such as an access key id) or `${secrets.NAME}`.
    case credential
    /// The name of another target of the same profile, of the given kind.
    case target(TargetKindID)
    /// A mapping read by the kind's own reader (a group's `shape` and `members`), described in words.
    case mapping(String)
}

/// One key a target kind reads from its profile mapping.
public struct TargetKeySpec: Sendable {
    public var name: String
    public var type: TargetKeyType
    public var required: Bool
    /// The value the target gets when the key is absent, as written in YAML; shown in docs and schema.
    public var defaultValue: String?
    /// For people: the schema's hover text and the docs' table cell (Markdown).
    public var summary: String

    /// Checks one written value (each item of a list) beyond its type: the problem in words,
    /// or nil when it is fine. Reported as `target-value` at the value, so a malformed key is
    /// refused when the profile loads, before anything runs.
    public var check: (@Sendable (String) -> String?)?

    public init(_ name: String, _ type: TargetKeyType, required: Bool = false, default defaultValue: String? = nil, _ summary: String,
                check: (@Sendable (String) -> String?)? = nil) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.summary = summary
        self.check = check
    }
}

/// One way of reaching a target (`via: local`, `via: compose`) and the keys that go with it.
public struct TargetVia: Sendable {
    public var name: String
    public var summary: String
    /// Keys that make sense only with this via: written with another one they are an error (`target-via`).
    public var keys: [String]
    /// Keys this via cannot do without (`missing-key`).
    public var required: [String]

    public init(_ name: String, keys: [String] = [], required: [String] = [], _ summary: String) {
        self.name = name
        self.keys = keys
        self.required = required
        self.summary = summary
    }
}

/// What a target kind is, declared once: the profile loader, `runbook schema profile` and the
/// target sections of docs/format.md are all generated from it. A kind is registered by
/// listing its declaration in a `TargetKindCatalog` (RunbookActions' `Registry.targetKinds`).
public struct TargetKindSpec: Sendable {
    public var name: TargetKindID
    public var summary: String
    public var keys: [TargetKeySpec]
    /// Ways of reaching the target, the first being the default; empty when the kind has no `via` key.
    public var via: [TargetVia]
    /// Set for a group kind: its targets are read by `GroupReader`, not key by key.
    public var group: TargetGroupSpec?
    /// Builds the typed target from keys the loader has checked (defaults filled in).
    let decode: @Sendable (TargetFields) -> any TargetConfiguration

    public init<T: TargetConfiguration>(_ name: TargetKindID, of type: T.Type, summary: String,
                                        keys: [TargetKeySpec], via: [TargetVia] = [], group: TargetGroupSpec? = nil) {
        self.name = name
        self.summary = summary
        self.keys = keys
        self.via = via
        self.group = group
        self.decode = { T(fields: $0) }
    }

    /// Every key a profile may write for this kind, `via` first when the kind has one.
    public var keyNames: [String] { (via.isEmpty ? [] : ["via"]) + keys.map(\.name) }

    public func key(_ name: String) -> TargetKeySpec? { keys.first { $0.name == name } }

    /// The via a key is limited to, if any.
    public func via(limiting key: String) -> TargetVia? { via.first { $0.keys.contains(key) } }

    /// The typed target for checked fields.
    public func configuration(_ fields: TargetFields) -> any TargetConfiguration { decode(fields) }
}

/// A target kind's typed view of its profile keys; actions ask for it by type
/// (`call.target("target", as: PostgresTarget.self)`).
public protocol TargetConfiguration: Sendable {
    /// The declaration: name, keys, via variants.
    static var kind: TargetKindSpec { get }
    /// Built from keys the loader has already checked against `kind`, defaults filled in.
    init(fields: TargetFields)
    /// The secrets this target's keys reference (`${secrets.NAME}`), so a run resolves them
    /// without knowing the kind.
    var secretNames: [String] { get }
    /// A group's member target names (`TargetGroupSpec`); nil for every other kind (the default).
    var groupMembers: [String]? { get }
}

/// The target kinds a binary knows: a plain list, as for actions.
public struct TargetKindCatalog: Sendable {
    public var kinds: [TargetKindSpec]

    public init(_ kinds: [TargetKindSpec]) { self.kinds = kinds }

    public func kind(_ name: String) -> TargetKindSpec? { kinds.first { $0.name.rawValue == name } }
    public var names: [String] { kinds.map(\.name.rawValue) }
}
