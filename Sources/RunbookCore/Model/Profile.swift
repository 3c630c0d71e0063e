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

/// The kinds of endpoint an action can be pointed at.
public enum TargetKind: String, Sendable, CaseIterable, Codable {
    case postgres, compose, s3, http
}

public enum TargetBinding: Sendable {
    case postgres(PostgresTarget)
    case compose(ComposeTarget)
    case s3(S3Target)
    case http(HTTPTarget)

    public var kind: TargetKind {
        switch self {
        case .postgres: return .postgres
        case .compose: return .compose
        case .s3: return .s3
        case .http: return .http
        }
    }

    /// The secrets this endpoint is reached with (a password, S3 keys), by name.
    public var secretNames: [String] {
        switch self {
        case .postgres(let p): return p.passwordSecret.map { [$0] } ?? []
        case .s3(let s):
            return [s.accessKey, s.secretKey].compactMap { if case .secret(let n) = $0, !n.isEmpty { return n }; return nil }
        case .compose, .http: return []
        }
    }
}

/// A PostgreSQL server, reached by the client tools on this host (`local`)
/// or inside a compose service (`compose`).
public struct PostgresTarget: Sendable, Hashable {
    public enum Via: String, Sendable, CaseIterable { case local, compose }
    public var via: Via
    /// Host name or socket directory (`local`); omitted means libpq's default.
    public var host: String?
    public var port: Int?
    public var user: String?
    /// The database to connect to for server-level statements (CREATE/DROP DATABASE).
    public var maintenanceDatabase: String
    /// Name of a secret holding the password; passed as PGPASSWORD, never in argv.
    public var passwordSecret: String?
    /// For `via: compose`: the compose target's name and the service.
    public var compose: String?
    public var service: String?
    /// The server's data directory and bin directory, for actions that manage the server itself (PITR).
    public var dataDir: String?
    public var binDir: String?

    public init(via: Via = .local, host: String? = nil, port: Int? = nil, user: String? = nil,
                maintenanceDatabase: String = "postgres", passwordSecret: String? = nil,
                compose: String? = nil, service: String? = nil, dataDir: String? = nil, binDir: String? = nil) {
        self.via = via
        self.host = host
        self.port = port
        self.user = user
        self.maintenanceDatabase = maintenanceDatabase
        self.passwordSecret = passwordSecret
        self.compose = compose
        self.service = service
        self.dataDir = dataDir
        self.binDir = binDir
    }
}

/// A docker compose project.
public struct ComposeTarget: Sendable, Hashable {
    public var projectDir: String
    public var files: [String]
    public var projectName: String?
    public init(projectDir: String, files: [String] = [], projectName: String? = nil) {
        self.projectDir = projectDir
        self.files = files
        self.projectName = projectName
    }
}

/// An S3-compatible endpoint (MinIO in production), path-style addressing.
public struct S3Target: Sendable, Hashable {
    public var endpoint: String
    public var region: String
    /// The access key id may be written literally (it is an identifier, not a secret).
    public var accessKey: Credential
    /// Always a secret reference: a literal secret key in a profile is rejected.
    public var secretKey: Credential
    public init(endpoint: String, region: String = "us-east-1", accessKey: Credential, secretKey: Credential) {
        self.endpoint = endpoint
        self.region = region
        self.accessKey = accessKey
        self.secretKey = secretKey
    }
}

public struct HTTPTarget: Sendable, Hashable {
    public var baseURL: String
    public init(baseURL: String) { self.baseURL = baseURL }
}

/// A credential written in a profile: a literal, or `${secrets.NAME}`.
public enum Credential: Sendable, Hashable {
    case literal(String)
    case secret(String)
}
