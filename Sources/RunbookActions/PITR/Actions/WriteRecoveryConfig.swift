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
        InputSpec("archive_dir", .path, required: true, "The WAL archive restore_command copies from."),
        PITRServer.serverUserInput,
    ] + RecoveryTarget.inputs, outputs: [OutputSpec("settings", "The lines written.")])

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

    func text(_ call: ResolvedCall, runID: String) throws -> String {
        let archive = try call.string("archive_dir")
        try ArchiveCommands.validate(archiveDir: archive)
        return try RecoveryTarget.from(call).configText(restoreCommand: ArchiveCommands.restoreCommand(archiveDir: archive), runID: runID)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let data = try server.dataDir()
        let settings = try text(call, runID: context.runID)
        let c = try commands(server, owner: call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(data), settingsFile: "<settings below>")
        var ops: [PlannedOperation] = []
        if !call.has("server_user") { ops.append(.command(server.ownerQuery(data, serverStopped: true))) }
        return ops + [.command(c.prepared), .command(c.noStandby), .command(c.noRecoveryConf), .command(c.append),
                      .builtin("appended to postgresql.auto.conf:\n" + settings), .command(c.signal), .command(c.sync)]
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let data = try server.dataDir()
        let settings = try text(call, runID: run.runID)
        let owner = try await run.owner(server, of: data, given: call.optionalString("server_user"), serverStopped: true)
        let c = try commands(server, owner: owner, settingsFile: try run.scratchFile("recovery.conf.lines", settings))
        try await run.must(c.prepared, "\(data) has no backup_label: it is not a freshly unpacked base backup; refusing to put it into recovery")
        try await run.must(c.noStandby, "\(data) has standby.signal: it would start as a standby and never promote")
        try await run.must(c.noRecoveryConf, "\(data) has a recovery.conf, which PostgreSQL 12+ refuses; remove it")
        try await run.must(c.append, "appending the recovery settings to postgresql.auto.conf")
        try await run.must(c.signal, "creating recovery.signal")
        try await run.must(c.sync, "syncing recovery.signal")
        return .ok("recovery settings written (\(try RecoveryTarget.from(call)))", outputs: ["settings": .string(settings)])
    }
}
