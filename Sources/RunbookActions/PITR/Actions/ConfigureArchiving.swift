import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.configure-archiving`: turn on continuous WAL archiving to a directory with ALTER
/// SYSTEM, restarting the server only when `wal_level` or `archive_mode` must change.
/// Whether segments really arrive is the job of the `pitr.archive-receives` check (use it as
/// the step's `verify:`).
struct ConfigureArchiving: PITRAction {
    let spec = ActionSpec("pitr.configure-archiving", summary: "Enable WAL archiving to a directory (wal_level, archive_mode, archive_command, archive_timeout) with ALTER SYSTEM; restart if needed.", inputs: [
        PITRServer.targetInput,
        InputSpec("archive_dir", .path, required: true, "Archive directory on the server's machine; created (0700, owned by the server user) if missing."),
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
        let makeArchive: CommandLine
        let archiveWritable: CommandLine
        let alter: CommandLine
        let restart: CommandLine
    }

    func commands(_ call: ResolvedCall, _ server: PITRServer, owner: String, walLevel: String) throws -> Commands {
        let dir = try call.string("archive_dir")
        try ArchiveCommands.validate(archiveDir: dir)
        let timeout = try call.duration("archive_timeout")
        guard timeout >= 1 else { throw ActionInputError.invalid("archive_timeout", "must be at least 1s (0 turns the RPO bound off)") }
        let dataDir = try server.dataDir()
        let settingsSQL = "SELECT name, setting FROM pg_settings WHERE name IN (" + Self.settingNames.map(SQLText.literal).joined(separator: ", ") + ") ORDER BY name"
        let alter = [
            "ALTER SYSTEM SET wal_level = \(SQLText.literal(walLevel))",
            "ALTER SYSTEM SET archive_mode = 'on'",
            "ALTER SYSTEM SET archive_command = \(SQLText.literal(ArchiveCommands.archiveCommand(archiveDir: dir)))",
            "ALTER SYSTEM SET archive_timeout = \(SQLText.literal("\(Int(timeout))s"))",
            "SELECT pg_reload_conf()",
        ]
        return Commands(
            currentSettings: server.psql([settingsSQL]),
            owner: server.ownerQuery(dataDir),
            makeArchive: server.onHost(["mkdir", "-p", "-m", "0700", "--", dir], as: owner),
            archiveWritable: server.onHost(["test", "-d", dir, "-a", "-w", dir], as: owner),
            alter: server.psql(alter),
            restart: try server.restart(as: owner, logFile: try server.logFile(call), timeout: Int(try call.duration("restart_timeout"))))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let owner = try call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(try server.dataDir())
        let c = try commands(call, server, owner: owner, walLevel: try call.string("wal_level"))
        var ops: [PlannedOperation] = [.command(c.currentSettings)]
        if !call.has("server_user") { ops.append(.command(c.owner)) }
        ops += [.command(c.makeArchive), .command(c.archiveWritable)]
        ops += VolumeProbe(server: server, directory: try call.string("archive_dir")).planned
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
        let c = try commands(call, server, owner: owner, walLevel: walLevel)
        let dir = try call.string("archive_dir")
        try await run.must(c.makeArchive, "creating the archive directory \(dir)")
        try await run.must(c.archiveWritable, "the archive directory \(dir) must be a directory the server user \(owner) can write")
        try await VolumeProbe(server: server, directory: dir).require(run, "so the archive would vanish with the container (docker compose up after a change of image or configuration recreates it)")
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
        let expectedCommand = ArchiveCommands.archiveCommand(archiveDir: dir)
        let timeout = "\(Int(try call.duration("archive_timeout")))"
        let after = try await run.poll(every: 0.2, for: 15, "waiting for the new settings to take effect") { () -> [String: String]? in
            let s = try await settings(c.currentSettings, run)
            let ok = s["wal_level"] == walLevel && s["archive_mode"] == "on" && s["archive_command"] == expectedCommand
                && s["archive_timeout"] == timeout
            return ok ? s : nil
        }
        return .ok("archiving to \(dir)" + (restarted ? " (server restarted)" : ""), outputs: [
            "restarted": .bool(restarted),
            "archive_command": .string(after["archive_command"] ?? ""),
            "wal_level": .string(after["wal_level"] ?? ""),
        ])
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
