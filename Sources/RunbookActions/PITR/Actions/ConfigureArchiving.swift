import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.configure-archiving`: turn on continuous WAL archiving, to a directory or to the
/// offsite repository (`runbook wal-push`, configured by a private file it writes), with ALTER
/// SYSTEM, restarting the server only when `wal_level` or `archive_mode` must change.
/// Whether segments really arrive is the job of the `pitr.archive-receives` check (use it as
/// the step's `verify:`).
struct ConfigureArchiving: PITRAction {
    let spec = ActionSpec("pitr.configure-archiving", summary: "Enable WAL archiving to a directory or the repository (wal_level, archive_mode, archive_command, archive_timeout) with ALTER SYSTEM; restart if needed.", inputs: [
        PITRServer.targetInput,
        InputSpec("archive_dir", .path, "Archive directory on the server's machine; created (0700, owned by the server user) if missing. Give either this or repository."),
    ] + ArchiveDestination.inputs + [
        InputSpec("archive_timeout", .duration, default: .string("60s"), "Force a segment switch after this long with unarchived writes: the bound on data lost at a crash (RPO). Each switch archives a whole segment (16 MB)."),
        InputSpec("wal_level", .oneOf(["replica", "logical"]), default: .string("replica"), "At least this wal_level; a server already at `logical` stays there."),
        InputSpec("restart", .bool, default: .bool(true), "Restart the server when wal_level or archive_mode changed (they need one). When false, such a change fails the step instead."),
        InputSpec("restart_timeout", .duration, default: .string("120s"), "Deadline for the restart."),
        PITRServer.serverUserInput,
        PITRServer.logFileInput,
    ], outputs: [
        OutputSpec("restarted", "Whether the server was restarted."),
        OutputSpec("archive_command", "The archive_command now in effect."),
        OutputSpec("wal_level", "The wal_level now in effect."),
    ])

    static let settingNames = ["archive_command", "archive_mode", "archive_timeout", "wal_level"]

    struct Commands {
        let currentSettings: CommandLine
        let owner: CommandLine
        /// Directory: create it, check it is writable. Repository: the binary runs as the
        /// owner, and the configuration is written (stdin: a 0600 local file).
        let prepare: [(CommandLine, String)]
        let probedDirectory: String
        let alter: CommandLine
        let restart: CommandLine
    }

    func commands(_ call: ResolvedCall, _ server: PITRServer, owner: String, walLevel: String, configFile: String? = nil) throws -> Commands {
        let destination = try ArchiveDestination(call)
        let timeout = try call.duration("archive_timeout")
        guard timeout >= 1 else { throw ActionInputError.invalid("archive_timeout", "must be at least 1s (0 turns the RPO bound off)") }
        let dataDir = try server.dataDir()
        let settingsSQL = "SELECT name, setting FROM pg_settings WHERE name IN (" + Self.settingNames.map(SQLText.literal).joined(separator: ", ") + ") ORDER BY name"
        let alter = [
            "ALTER SYSTEM SET wal_level = \(SQLText.literal(walLevel))",
            "ALTER SYSTEM SET archive_mode = 'on'",
            "ALTER SYSTEM SET archive_command = \(SQLText.literal(destination.archiveCommand))",
            "ALTER SYSTEM SET archive_timeout = \(SQLText.literal("\(Int(timeout))s"))",
            "SELECT pg_reload_conf()",
        ]
        return Commands(
            currentSettings: server.psql([settingsSQL]),
            owner: server.ownerQuery(dataDir),
            prepare: prepare(destination, server, owner: owner, configFile: configFile),
            probedDirectory: Self.probedDirectory(destination),
            alter: server.psql(alter),
            restart: try server.restart(as: owner, logFile: try server.logFile(call), timeout: Int(try call.duration("restart_timeout"))))
    }

    func prepare(_ destination: ArchiveDestination, _ server: PITRServer, owner: String, configFile: String?) -> [(CommandLine, String)] {
        switch destination {
        case .directory(let dir):
            return [(server.onHost(["mkdir", "-p", "-m", "0700", "--", dir], as: owner), "creating the archive directory \(dir)"),
                    (server.onHost(["test", "-d", dir, "-a", "-w", dir], as: owner), "the archive directory \(dir) must be a directory the server user \(owner) can write")]
        case .repository(_, let binary, let config):
            return [(server.onHost([binary, "--version"], as: owner), "running \(binary) as the server user \(owner) on the server's machine (for compose: mount the static binary into the container)"),
                    (PrivateFile.write(config, server, as: owner, stdinFile: configFile), "writing the repository configuration \(config)")]
        }
    }

    static func probedDirectory(_ destination: ArchiveDestination) -> String {
        switch destination {
        case .directory(let dir): return dir
        case .repository(_, _, let config): return (config as NSString).deletingLastPathComponent
        }
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let owner = try call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(try server.dataDir())
        let c = try commands(call, server, owner: owner, walLevel: try call.string("wal_level"))
        var ops: [PlannedOperation] = [.command(c.currentSettings)]
        if !call.has("server_user") { ops.append(.command(c.owner)) }
        for (index, (command, _)) in c.prepare.enumerated() {
            if index == c.prepare.count - 1, case .repository(let target, _, let config) = try ArchiveDestination(call) {
                ops.append(.builtin("stdin of the write below: the repository configuration for \(target.location) at \(target.endpoint) (credentials, recipients; no identity), from a 0600 temporary file; \(config) ends 0600, owned by the server user"))
            }
            ops.append(.command(command))
        }
        ops += VolumeProbe(server: server, directory: c.probedDirectory).planned
        ops += [.command(c.alter),
                .builtin("only if wal_level or archive_mode changed" + ((try? call.bool("restart")) == false ? ": fail (restart: false)" : ":")),
                .command(c.restart), .builtin("poll until it answers:"), .command(server.ping), .command(c.currentSettings)]
        return ops
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let probe = try commands(call, server, owner: "", walLevel: "replica")
        let before = try await settings(probe.currentSettings, run)
        // Never lower wal_level: logical decoding slots would stop working.
        let requested = try call.string("wal_level")
        let walLevel = before["wal_level"] == "logical" ? "logical" : requested
        let owner = try await run.owner(server, of: try server.dataDir(), given: call.optionalString("server_user"))
        let destination = try ArchiveDestination(call)
        var configFile: String?
        if case .repository(let target, _, _) = destination {
            let config = try RepositoryConfig(target: target, secrets: run.context.secrets)
            configFile = try run.scratchFile("wal-repository.json", String(decoding: try WALCommandFiles.render(config), as: UTF8.self))
        }
        let c = try commands(call, server, owner: owner, walLevel: walLevel, configFile: configFile)
        for (command, what) in c.prepare { try await run.must(command, what) }
        try await VolumeProbe(server: server, directory: c.probedDirectory).require(run, "so the archive would vanish with the container (docker compose up after a change of image or configuration recreates it)")
        try await run.must(c.alter, "ALTER SYSTEM")

        let needsRestart = before["wal_level"] != walLevel || before["archive_mode"] != "on"
        var restarted = false
        if needsRestart {
            guard try call.bool("restart") else {
                throw PITRFailure("wal_level/archive_mode were written with ALTER SYSTEM but need a restart (wal_level \(before["wal_level"] ?? "?"), archive_mode \(before["archive_mode"] ?? "?")); run again with restart: true in a maintenance window")
            }
            var changes: [String] = []
            if before["wal_level"] != walLevel { changes.append("wal_level \(before["wal_level"] ?? "?") -> \(walLevel)") }
            if before["archive_mode"] != "on" { changes.append("archive_mode \(before["archive_mode"] ?? "?") -> on") }
            run.log("restarting the server: " + changes.joined(separator: ", "))
            try await run.must(c.restart, "restarting the server", timeout: try call.duration("restart_timeout") + 30, show: true)
            try await run.waitUntilAccepting(server, for: try call.duration("restart_timeout"))
            restarted = true
        }
        // A reload reaches new sessions asynchronously: poll briefly until the settings show.
        let expectedCommand = destination.archiveCommand
        let timeout = "\(Int(try call.duration("archive_timeout")))"
        let after = try await run.poll(every: 0.2, for: 15, "waiting for the new settings to take effect") { () -> [String: String]? in
            let s = try await settings(c.currentSettings, run)
            let ok = s["wal_level"] == walLevel && s["archive_mode"] == "on" && s["archive_command"] == expectedCommand
                && s["archive_timeout"] == timeout
            return ok ? s : nil
        }
        return .ok("archiving to \(Self.describe(destination))" + (restarted ? " (server restarted)" : ""), outputs: [
            "restarted": .bool(restarted),
            "archive_command": .string(after["archive_command"] ?? ""),
            "wal_level": .string(after["wal_level"] ?? ""),
        ])
    }

    static func describe(_ destination: ArchiveDestination) -> String {
        switch destination {
        case .directory(let dir): return dir
        case .repository(let target, _, _): return "the repository \(target.location) with runbook wal-push"
        }
    }

    private func settings(_ command: CommandLine, _ run: PITRRun) async throws -> [String: String] {
        var out: [String: String] = [:]
        for row in try await run.rows(command, "reading the archiving settings") {
            guard let bar = row.firstIndex(of: "|") else { continue }
            out[String(row[..<bar])] = String(row[row.index(after: bar)...])
        }
        return out
    }
}
