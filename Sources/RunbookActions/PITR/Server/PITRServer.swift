import Foundation
import RunbookCore

/// The PostgreSQL server a `pitr.*` action manages, and the two ways of reaching it:
/// - its client tools (psql, pg_basebackup) go through the target's transport, like every
///   postgres action;
/// - its files (data directory, WAL archive, backups) and its life cycle are handled on the
///   machine that holds them, as the data directory's owner (PostgreSQL refuses a data
///   directory that is not 0700 and owned by the server's user).
///
/// `via: local`: commands run on this host; when we are root and the owner is someone else
/// they run as `runuser -u OWNER -- ...` (the owner is found with `stat`, or given as
/// `server_user`). The server is managed with `pg_ctl -D data_dir` from `bin_dir`.
///
/// `via: compose`: file commands run in the service's container (`docker compose exec -T -u
/// OWNER`), or, while the server is stopped, in a one-off container of the same service with
/// the same volumes (`docker compose run --rm --no-deps`); the server is stopped and started
/// with `docker compose stop/start SERVICE`. The data directory must then be a subdirectory of
/// the volume (e.g. PGDATA=/var/lib/postgresql/data/pgdata): a mount point cannot be renamed.
struct PITRServer: Sendable {
    static let targetInput = InputSpec("target", .target(.postgres), required: true,
                                       "The PostgreSQL server (a `postgres` target; `data_dir` and `bin_dir` are used to manage it).")
    static let serverUserInput = InputSpec("server_user", .string,
                                           "OS user that owns the data directory; found with `stat` when omitted.")
    static let logFileInput = InputSpec("log_file", .path,
                                        "Server log for `pg_ctl -l` (via: local); default `<data_dir>.server.log`.")

    let target: PostgresTarget
    let transport: Transport
    let compose: (project: ComposeTarget, service: String)?
    let runID: String

    init(_ call: ResolvedCall, _ context: PlanContext, input: String = "target") throws {
        let t = try call.target(input, as: PostgresTarget.self)
        target = t
        transport = try context.transport(for: t)
        guard !transport.isRemote else {
            throw ActionInputError.invalid(input, "server management (PITR) acts on the server's files and is not available with via: ssh")
        }
        if case .composeExec(let project, let service) = transport { compose = (project, service) } else { compose = nil }
        runID = context.runID
    }

    var isCompose: Bool { compose != nil }

    /// The data directory, required by actions that manage the server's files.
    func dataDir() throws -> String {
        guard var dir = target.dataDir, dir.hasPrefix("/") else {
            throw ActionInputError.invalid("target", "the postgres target needs an absolute `data_dir` in the profile to manage the server's files")
        }
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        return dir
    }

    func logFile(_ call: ResolvedCall) throws -> String {
        if let given = call.optionalString("log_file"), !given.isEmpty { return given }
        return try dataDir() + ".server.log"
    }

    /// A PostgreSQL program: from `bin_dir` when the profile gives one (Debian keeps pg_ctl,
    /// pg_verifybackup and pg_waldump off PATH), else by name.
    func tool(_ name: String) -> String {
        guard let bin = target.binDir, !bin.isEmpty else { return name }
        return (bin.hasSuffix("/") ? bin : bin + "/") + name
    }

    // MARK: - Client tools, through the transport

    /// `-h -p -U`: the connection, as argv. The password never is: it goes as PGPASSWORD.
    var connectionArguments: [String] {
        var args: [String] = []
        if let h = target.host { args += ["-h", h] }
        if let p = target.port { args += ["-p", String(p)] }
        if let u = target.user { args += ["-U", u] }
        return args
    }

    var clientEnvironment: [String: EnvValue] {
        var env: [String: EnvValue] = ["PGCONNECT_TIMEOUT": .literal("10")]
        if let secret = target.passwordSecret { env["PGPASSWORD"] = .secret(secret) }
        return env
    }

    /// psql running each statement as its own `-c` (so ALTER SYSTEM is not in a transaction block),
    /// unaligned and without headers, stopping at the first error.
    func psql(_ statements: [String], database: String? = nil) -> CommandLine {
        var argv = [tool("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-F", "|"] + connectionArguments
        argv += ["-d", database ?? target.maintenanceDatabase]
        for s in statements { argv += ["-c", s] }
        return transport.wrap(CommandLine(argv: argv, environment: clientEnvironment))
    }

    /// `SELECT 1`: succeeds once the server accepts connections.
    var ping: CommandLine { psql(["SELECT 1"]) }

    /// A client tool with the connection options, through the transport.
    func client(_ tool: String, _ arguments: [String]) -> CommandLine {
        transport.wrap(CommandLine(argv: [self.tool(tool)] + connectionArguments + arguments, environment: clientEnvironment))
    }

    // MARK: - Commands on the server's machine

    /// `argv` on the machine that holds the server's files, as `user` (nil: as ourselves, or the
    /// container's default user). `serverStopped` picks a one-off container for compose.
    func onHost(_ argv: [String], as user: String? = nil, serverStopped: Bool = false, stdinFile: String? = nil,
                environment: [String: EnvValue] = [:]) -> CommandLine {
        let user = user.flatMap { $0.isEmpty ? nil : $0 }
        guard let (project, service) = compose else {
            var full = argv
            if let user, user != OSUser.currentName { full = ["runuser", "-u", user, "--"] + argv }
            return CommandLine(argv: full, environment: environment, stdinFile: stdinFile)
        }
        var full = Transport.composeBase(project)
        full += serverStopped ? ["run", "--rm", "--no-deps", "-T"] : ["exec", "-T"]
        if let user { full += ["-u", user] }
        for name in environment.keys.sorted() { full += ["-e", name] }
        if serverStopped {
            full += ["--entrypoint", argv.first ?? "", service] + argv.dropFirst()
        } else {
            full += [service] + argv
        }
        return CommandLine(argv: full, transport: (serverStopped ? "compose run " : "compose exec ") + service,
                           environment: environment, stdinFile: stdinFile)
    }

    /// Prints the owner of `path` in the form `onHost(as:)` takes: a user name for runuser,
    /// `uid:gid` for docker.
    func ownerQuery(_ path: String, serverStopped: Bool = false) -> CommandLine {
        onHost(["stat", "-c", isCompose ? "%u:%g" : "%U", "--", path], serverStopped: serverStopped)
    }

    /// Stands in for the owner in plans, where nothing may be looked up.
    static func ownerPlaceholder(_ path: String) -> String { "<owner of \(path)>" }

    // MARK: - Life cycle

    /// Exit 0 when the server runs. Local: `pg_ctl status` (3: not running, 4: no data directory).
    /// Compose: `docker compose ps --status running -q SERVICE` prints an id when it runs.
    func status(as user: String) throws -> CommandLine {
        if let (project, service) = compose {
            return CommandLine(argv: Transport.composeBase(project) + ["ps", "--status", "running", "--quiet", service])
        }
        return onHost([tool("pg_ctl"), "-D", try dataDir(), "status"], as: user)
    }

    func stop(as user: String, mode: String, timeout: Int) throws -> CommandLine {
        if let (project, service) = compose {
            return CommandLine(argv: Transport.composeBase(project) + ["stop", "--timeout", String(timeout), service])
        }
        return onHost([tool("pg_ctl"), "-D", try dataDir(), "-m", mode, "-w", "-t", String(timeout), "stop"], as: user)
    }

    /// Starts the server. `-l` matters: without it the server would inherit our output pipes
    /// and the process runner would wait for it forever. `wait: false` returns at once (recovery
    /// may take far longer than pg_ctl's wait; the caller polls with its own deadline).
    func start(as user: String, logFile: String, wait: Bool, timeout: Int) throws -> CommandLine {
        if let (project, service) = compose {
            return CommandLine(argv: Transport.composeBase(project) + ["start", service])
        }
        var argv = [tool("pg_ctl"), "-D", try dataDir(), "-l", logFile]
        argv += wait ? ["-w", "-t", String(timeout)] : ["-W"]
        return onHost(argv + ["start"], as: user)
    }

    func restart(as user: String, logFile: String, timeout: Int) throws -> CommandLine {
        if let (project, service) = compose {
            return CommandLine(argv: Transport.composeBase(project) + ["restart", "--timeout", String(timeout), service])
        }
        return onHost([tool("pg_ctl"), "-D", try dataDir(), "-l", logFile, "-m", "fast", "-w", "-t", String(timeout), "restart"], as: user)
    }

    /// The last lines of the server's log, for reports and failure messages.
    func logTail(logFile: String, lines: Int) -> CommandLine {
        if let (project, service) = compose {
            return CommandLine(argv: Transport.composeBase(project) + ["logs", "--no-color", "--tail", String(lines), service])
        }
        return onHost(["tail", "-n", String(lines), "--", logFile])
    }
}

/// Who we are, for deciding whether a command must switch user.
enum OSUser {
    static var currentName: String {
        guard let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name else { return String(geteuid()) }
        return String(cString: name)
    }
}
