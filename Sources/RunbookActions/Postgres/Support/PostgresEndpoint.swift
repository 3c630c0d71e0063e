import Foundation
import RunbookCore

/// How the PostgreSQL client tools reach one target: connection options from the
/// profile (`-h`/`-p`/`-U`/`-d`), the password as `PGPASSWORD` (a symbolic secret,
/// never argv), and the transport (this host, or `docker compose exec -T SERVICE`).
///
/// Every postgres action builds its processes here, so local and compose runs differ
/// only in the transport prefix and in how host files reach the tool (see `HostFile`).
struct PostgresEndpoint: Sendable {
    var target: PostgresTarget
    var transport: Transport

    init(target: PostgresTarget, transport: Transport) {
        self.target = target
        self.transport = transport
    }

    /// The endpoint bound to the call's `target` input.
    init(_ call: ResolvedCall, input: String = "target", in context: PlanContext) throws {
        let target = try call.target(input, as: PostgresTarget.self)
        self.init(target: target, transport: try context.transport(for: target))
    }

    /// The tools run inside a compose service (here or on an ssh host).
    var isCompose: Bool { transport.compose != nil }

    /// The tools run on another host: files of this host reach them only as streams.
    var isRemote: Bool { transport.isRemote }

    /// `-h HOST -p PORT -U USER -d DATABASE`, each only when known; `-w` so a missing
    /// password fails at once instead of waiting for a prompt nobody will answer.
    func connectionArguments(database: String?) -> [String] {
        var args: [String] = []
        if let host = target.host { args += ["-h", host] }
        if let port = target.port { args += ["-p", String(port)] }
        if let user = target.user { args += ["-U", user] }
        if let database { args += ["-d", database] }
        return args
    }

    /// The password travels as a secret reference; the engine resolves it only when spawning.
    var environment: [String: EnvValue] {
        guard let secret = target.passwordSecret else { return [:] }
        return ["PGPASSWORD": .secret(secret)]
    }

    /// A client tool's path: from the profile's `bin_dir` for local targets that set one,
    /// else found on PATH (inside the container for compose).
    func tool(_ name: String) -> String {
        if !isCompose, let bin = target.binDir { return (bin as NSString).appendingPathComponent(name) }
        return name
    }

    /// One client-tool process, wrapped for the transport.
    ///
    /// - Parameters:
    ///   - arguments: options placed after the connection options (and before `trailing`).
    ///   - trailing: positional arguments such as an archive path.
    func command(_ tool: String, _ arguments: [String], database: String?, noPasswordPrompt: Bool = true,
                 trailing: [String] = [], stdinFile: String? = nil, stdinFrom: [String]? = nil,
                 stdoutFile: String? = nil) -> CommandLine {
        var argv = [self.tool(tool)] + connectionArguments(database: database)
        if noPasswordPrompt { argv.append("-w") }
        argv += arguments + trailing
        let command = CommandLine(argv: argv, environment: environment, stdinFile: stdinFile,
                                  stdinFrom: stdinFrom, stdoutFile: stdoutFile)
        return transport.wrap(command)
    }

    /// `psql` that never reads `~/.psqlrc`, stops at the first error and prints bare values.
    func psql(database: String, sql: [String], tuplesOnly: Bool = true) -> CommandLine {
        var args = ["-X", "-q", "-v", "ON_ERROR_STOP=1"]
        if tuplesOnly { args += ["-A", "-t"] }
        for statement in sql { args += ["-c", statement] }
        return command("psql", args, database: database)
    }

    /// How a file on this host reaches a tool that may run in a container: as a path
    /// argument locally, as stdin through `compose exec -T` (which forwards stdin).
    enum HostFile {
        case argument(String)
        case stdin(String)
    }

    func hostFile(_ path: String) -> HostFile {
        isCompose || isRemote ? .stdin(path) : .argument(path)
    }

    /// Refuses what needs this host's files as files on the tool's side (directory archives,
    /// parallel pg_restore) when the tool runs on an ssh host.
    func requireLocalFiles(_ input: String, _ why: String) throws {
        guard !isRemote else { throw ActionInputError.invalid(input, why + " cannot travel over ssh as a stream; use the custom format, one job") }
    }

    /// The name people read in plans and messages: `db (compose exec postgres-shared)`.
    var displayName: String {
        Self.describe(transport)
    }

    private static func describe(_ transport: Transport) -> String {
        switch transport {
        case .local: return "local"
        case .composeExec(_, let service): return "compose exec \(service)"
        case .ssh(let connection, let inner):
            return "ssh \(connection.name)" + (inner == .local ? "" : ", " + describe(inner))
        }
    }
}
