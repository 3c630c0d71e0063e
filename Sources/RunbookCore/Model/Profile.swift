import Foundation

/// A profile binds the target names runbooks use to real endpoints.
/// The same runbook runs against production (compose) or a laptop (local) by profile alone.
public struct Profile: Sendable {
    public var name: String
    /// Where `profile:` was written, when it was.
    public var nameLocation: SourceLocation?
    public var path: String
    public var digest: String
    public var secrets: [SecretDecl]
    public var targets: [TargetDecl]

    public init(name: String, path: String, digest: String = "", secrets: [SecretDecl] = [], targets: [TargetDecl] = []) {
        self.name = name
        self.path = path
        self.digest = digest
        self.secrets = secrets
        self.targets = targets
    }

    public func target(_ name: String) -> TargetDecl? { targets.first { $0.name == name } }
}

public struct TargetDecl: Sendable {
    public var name: String
    public var binding: TargetBinding
    public var location: SourceLocation
    public init(name: String, binding: TargetBinding, location: SourceLocation) {
        self.name = name
        self.binding = binding
        self.location = location
    }
}

/// A target bound to its kind's typed configuration. Core knows no kind: each declares
/// itself (`TargetConfiguration`) and actions ask for the type they need.
public struct TargetBinding: Sendable {
    public var kind: TargetKindID
    public var configuration: any TargetConfiguration

    public init<T: TargetConfiguration>(_ configuration: T) {
        self.kind = T.kind.name
        self.configuration = configuration
    }

    init(kind: TargetKindID, configuration: any TargetConfiguration) {
        self.kind = kind
        self.configuration = configuration
    }

    /// The secrets the target's keys reference.
    public var secretNames: [String] { configuration.secretNames }

    /// The configuration as `T`, or nil when the target is of another kind.
    public func configuration<T: TargetConfiguration>(as type: T.Type) -> T? { configuration as? T }
}

/// A credential written in a profile: a literal, or `${secrets.NAME}`.
public enum Credential: Sendable, Hashable {
    case literal(String)
    case secret(String)
}
