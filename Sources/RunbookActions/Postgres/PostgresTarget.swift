import RunbookCore

extension TargetKindID {
    /// A PostgreSQL server.
    public static let postgres = TargetKindID("postgres")
}

/// Target kind `postgres`: a PostgreSQL server, reached by the client tools on this host
/// (`local`) or inside a compose service (`compose`).
public struct PostgresTarget: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.postgres, of: PostgresTarget.self, summary: "A PostgreSQL server.", keys: [
        TargetKeySpec("host", .string, "Host name, or the socket directory for a unix socket; omitted means libpq's default."),
        TargetKeySpec("port", .int(min: 1, max: 65535), "TCP port (or the socket's port number)."),
        TargetKeySpec("user", .string, "Role to connect as."),
        TargetKeySpec("password", .secret, "`${secrets.NAME}`; passed as `PGPASSWORD` in the environment, never argv."),
        TargetKeySpec("maintenance_database", .string, default: "postgres", "Database to connect to for `CREATE`/`DROP DATABASE`."),
        TargetKeySpec("compose", .target(.compose), "The compose target whose service runs PostgreSQL."),
        TargetKeySpec("service", .string, "The compose service running PostgreSQL."),
        TargetKeySpec("ssh", .target(.ssh), "The `ssh` target of the host whose client tools reach the server (`host`/`port` are then as seen from there)."),
        TargetKeySpec("data_dir", .string, "The server's data directory, for actions that manage the server itself (WAL archiving, PITR)."),
        TargetKeySpec("bin_dir", .string, """
        The directory of the PostgreSQL programs, such as `/usr/lib/postgresql/15/bin`. Actions that manage the server run \
        `pg_ctl`, `pg_waldump` and `pg_verifybackup` from it; with `via: local`, the client tools (`psql`, `pg_dump`, \
        `pg_restore`, `pg_isready`) run from it too. Without it they are found on PATH. On Debian and Ubuntu, PATH gives \
        `postgresql-common`'s Perl wrapper, which picks a version by its own rules and costs about 30 ms of CPU per call; \
        `bin_dir` names the version and skips it.
        """),
    ], via: [
        TargetVia("local", "The client tools on this host, over a socket or TCP."),
        TargetVia("compose", keys: ["compose", "service"], required: ["compose", "service"],
                  "The tools inside a compose service, through `docker compose exec -T` (on the compose target's ssh host, if it names one)."),
        TargetVia("ssh", keys: ["ssh"], required: ["ssh"],
                  "The client tools on another host, through the system's ssh client; dumps stream back over the connection."),
    ])

    public enum Via: String, Sendable, CaseIterable { case local, compose, ssh }
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
    /// For `via: ssh`: the ssh target's name.
    public var ssh: String?
    /// The server's data directory and bin directory, for actions that manage the server itself (PITR).
    public var dataDir: String?
    public var binDir: String?

    public init(via: Via = .local, host: String? = nil, port: Int? = nil, user: String? = nil,
                maintenanceDatabase: String = "postgres", passwordSecret: String? = nil,
                compose: String? = nil, service: String? = nil, ssh: String? = nil, dataDir: String? = nil, binDir: String? = nil) {
        self.via = via
        self.host = host
        self.port = port
        self.user = user
        self.maintenanceDatabase = maintenanceDatabase
        self.passwordSecret = passwordSecret
        self.compose = compose
        self.service = service
        self.ssh = ssh
        self.dataDir = dataDir
        self.binDir = binDir
    }

    public init(fields: TargetFields) {
        self.init(via: fields.via.flatMap(Via.init(rawValue:)) ?? .local, host: fields.string("host"), port: fields.int("port"),
                  user: fields.string("user"), maintenanceDatabase: fields.string("maintenance_database") ?? "postgres",
                  passwordSecret: fields.secret("password"), compose: fields.string("compose"), service: fields.string("service"),
                  ssh: fields.string("ssh"), dataDir: fields.string("data_dir"), binDir: fields.string("bin_dir"))
    }

    public var secretNames: [String] { passwordSecret.map { [$0] } ?? [] }
}

extension TargetBinding {
    public static func postgres(_ target: PostgresTarget) -> TargetBinding { TargetBinding(target) }
}

extension PlanContext {
    /// The transport for a postgres target: local, or `compose exec` into its service.
    public func transport(for target: PostgresTarget) throws -> Transport {
        switch target.via {
        case .local:
            return .local
        case .compose:
            guard let composeName = target.compose, let service = target.service else {
                throw ActionInputError.invalid("target", "a postgres target with via: compose needs compose and service")
            }
            guard let project = profile?.target(composeName)?.binding.configuration(as: ComposeTarget.self) else {
                throw ActionInputError.invalid("target", "compose target \"\(composeName)\" is not defined in the profile")
            }
            return try transport(for: project, service: service)
        case .ssh:
            guard let host = target.ssh else {
                throw ActionInputError.invalid("target", "a postgres target with via: ssh needs ssh")
            }
            return .ssh(try sshConnection(host), inner: .local)
        }
    }
}
