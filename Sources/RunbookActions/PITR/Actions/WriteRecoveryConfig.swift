import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.write-recovery-config`: the PostgreSQL 12+ way to ask for archive recovery:
/// `restore_command`, the target and `recovery_target_action = 'promote'` appended to
/// postgresql.auto.conf (read last, so they win), and an empty `recovery.signal`.
/// (recovery.conf is gone since 12: a server finding one refuses to start.)
/// Refuses a data directory without backup_label: recovery.signal on a live data directory
/// would replay from its last checkpoint and fork a timeline.
struct WriteRecoveryConfig: PITRAction {
    let spec = ActionSpec("pitr.write-recovery-config", summary: "Write restore_command, the recovery target and recovery_target_action=promote into postgresql.auto.conf; touch recovery.signal.", inputs: [
        PITRServer.targetInput,
        InputSpec("archive_dir", .path, "The WAL archive restore_command copies from (or give repository)."),
        PITRServer.serverUserInput,
    ] + WALFetchFiles.inputs + RecoveryTarget.inputs, outputs: [
        OutputSpec("settings", "The lines written."),
        OutputSpec("wal_fetch_dir", "With repository: the directory holding wal-fetch's configuration and identity; pitr.recover of the same run removes it after the promotion."),
    ])

    struct Commands {
        let prepared: CommandLine
        let noStandby: CommandLine
        let noRecoveryConf: CommandLine
        let append: CommandLine
        let signal: CommandLine
        let sync: CommandLine
    }

    func commands(_ server: PITRServer, owner: String, settingsFile: String) throws -> Commands {
        let data = try server.dataDir()
        return Commands(
            prepared: server.onHost(["test", "-f", data + "/backup_label"], serverStopped: true),
            noStandby: server.onHost(["test", "!", "-e", data + "/standby.signal"], serverStopped: true),
            noRecoveryConf: server.onHost(["test", "!", "-e", data + "/recovery.conf"], serverStopped: true),
            append: server.onHost(["dd", "of=" + data + "/postgresql.auto.conf", "oflag=append", "conv=notrunc,fsync", "status=none"],
                                  as: owner, serverStopped: true, stdinFile: settingsFile),
            signal: server.onHost(["touch", data + "/recovery.signal"], as: owner, serverStopped: true),
            sync: server.onHost(["sync", "--", data + "/recovery.signal", data], serverStopped: true))
    }

    func text(_ call: ResolvedCall, _ fetch: WALFetchFiles?, runID: String) throws -> String {
        if let fetch { return try RecoveryTarget.from(call).configText(restoreCommand: fetch.restoreCommand, runID: runID) }
        let archive = try call.string("archive_dir")
        try ArchiveCommands.validate(archiveDir: archive)
        return try RecoveryTarget.from(call).configText(restoreCommand: ArchiveCommands.restoreCommand(archiveDir: archive), runID: runID)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let data = try server.dataDir()
        let fetch = try WALFetchFiles(call, server)
        let settings = try text(call, fetch, runID: context.runID)
        let owner = call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(data)
        let c = try commands(server, owner: owner, settingsFile: "<settings below>")
        var ops: [PlannedOperation] = []
        if !call.has("server_user") { ops.append(.command(server.ownerQuery(data, serverStopped: true))) }
        ops += [.command(c.prepared), .command(c.noStandby), .command(c.noRecoveryConf)]
        if let fetch { ops += try fetch.planned(call, server, owner: owner) }
        return ops + [.command(c.append),
                      .builtin("appended to postgresql.auto.conf:\n" + settings), .command(c.signal), .command(c.sync)]
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let data = try server.dataDir()
        let fetch = try WALFetchFiles(call, server)
        let settings = try text(call, fetch, runID: run.runID)
        let owner = try await run.owner(server, of: data, given: call.optionalString("server_user"), serverStopped: true)
        let c = try commands(server, owner: owner, settingsFile: try run.scratchFile("recovery.conf.lines", settings))
        try await run.must(c.prepared, "\(data) has no backup_label: it is not a freshly unpacked base backup; refusing to put it into recovery")
        try await run.must(c.noStandby, "\(data) has standby.signal: it would start as a standby and never promote")
        try await run.must(c.noRecoveryConf, "\(data) has a recovery.conf, which PostgreSQL 12+ refuses; remove it")
        try await fetch?.write(call, server, owner: owner, run)
        try await run.must(c.append, "appending the recovery settings to postgresql.auto.conf")
        try await run.must(c.signal, "creating recovery.signal")
        try await run.must(c.sync, "syncing recovery.signal")
        return .ok("recovery settings written (\(try RecoveryTarget.from(call)))" + (fetch.map { "; wal-fetch reads its configuration and identity from \($0.directory)" } ?? ""),
                   outputs: ["settings": .string(settings), "wal_fetch_dir": .string(fetch?.directory ?? "")])
    }
}
