import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.recover`: start the server on the prepared data directory and follow the archive
/// recovery until the target is reached and the server is promoted. Polls
/// `pg_is_in_recovery()` with a deadline (no fixed sleeps); a server that exits during
/// recovery (target not reachable, a missing segment) fails the step with its log.
/// Reports the time of the last replayed transaction (`pg_last_xact_replay_timestamp()` keeps
/// it after promotion) and the server's own account of where it stopped. Then, by default,
/// removes the recovery target settings from postgresql.auto.conf (ALTER SYSTEM RESET), so a
/// later recovery cannot trip over them; the running server keeps showing them until its next
/// restart (they can only change at start), which is harmless once recovery.signal is gone.
struct Recover: PITRAction {
    let spec = ActionSpec("pitr.recover", summary: "Start the server in archive recovery and wait until it reached the target and was promoted.", inputs: [
        PITRServer.targetInput,
        InputSpec("timeout", .duration, default: .string("1h"), "Deadline for the whole recovery (replaying a day of WAL can take a while)."),
        InputSpec("interval", .duration, default: .string("250ms"), "Time between polls."),
        InputSpec("clear_settings", .bool, default: .bool(true), "After promotion, ALTER SYSTEM RESET the recovery_target* settings (restore_command stays)."),
        InputSpec("forget_wal_fetch", .bool, default: .bool(true), "After promotion, if this run's write-recovery-config wrote wal-fetch's files (`<data_dir>.wal-fetch-<run id>`: they hold the identity), delete them and ALTER SYSTEM RESET restore_command."),
        PITRServer.serverUserInput,
        PITRServer.logFileInput,
    ], outputs: [
        OutputSpec("last_replayed_at", "Commit time of the last transaction replayed (empty when none was)."),
        OutputSpec("recovery_seconds", "From start to promotion."),
        OutputSpec("timeline", "The new timeline after promotion."),
        OutputSpec("stop_reason", "The server's log line saying where recovery stopped."),
    ])

    /// How long a server that `pg_ctl -W start` launched may take to show up in `pg_ctl status`.
    static let startGrace = 30.0

    static let targetSettings = ["recovery_target", "recovery_target_lsn", "recovery_target_name", "recovery_target_time",
                                 "recovery_target_xid", "recovery_target_inclusive", "recovery_target_timeline", "recovery_target_action"]

    struct Commands {
        let signal: CommandLine
        let start: CommandLine
        let progress: CommandLine
        let result: CommandLine
        let clear: CommandLine
        let fetchFiles: CommandLine
        let forgetFetch: [CommandLine]
    }

    func commands(_ call: ResolvedCall, _ server: PITRServer, owner: String) throws -> Commands {
        let data = try server.dataDir()
        return Commands(
            signal: server.onHost(["test", "-f", data + "/recovery.signal"], serverStopped: true),
            start: try server.start(as: owner, logFile: try server.logFile(call), wait: false, timeout: 0),
            progress: server.psql(["SELECT pg_is_in_recovery()::text || '|' || coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::text, '')"]),
            result: server.psql(["SELECT coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::text, '') || '|' || (SELECT timeline_id FROM pg_control_checkpoint()) || '|' || pg_current_wal_lsn()"]),
            clear: server.psql(Self.targetSettings.map { "ALTER SYSTEM RESET \($0)" } + ["SELECT pg_reload_conf()"]),
            fetchFiles: server.onHost(["test", "-d", WALFetchFiles.directory(data: data, runID: server.runID)], serverStopped: true),
            forgetFetch: [server.psql(["ALTER SYSTEM RESET restore_command", "SELECT pg_reload_conf()"]),
                          server.onHost(["rm", "-rf", "--", WALFetchFiles.directory(data: data, runID: server.runID)], serverStopped: true)])
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let data = try server.dataDir()
        let c = try commands(call, server, owner: call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(data))
        var ops: [PlannedOperation] = []
        if !call.has("server_user") && !server.isCompose { ops.append(.command(server.ownerQuery(data, serverStopped: true))) }
        ops += [.command(try server.status(as: "<owner>")), .command(c.signal), .command(c.start),
                .builtin("poll until pg_is_in_recovery() is false (deadline \(try call.string("timeout"))):"), .command(c.progress),
                .command(c.result), .command(server.logTail(logFile: try server.logFile(call), lines: 400))]
        if try call.bool("clear_settings") { ops.append(.command(c.clear)) }
        guard try call.bool("forget_wal_fetch") else { return ops }
        return ops + [.command(c.fetchFiles), .builtin("if it exists (a recovery from the repository), the recovery no longer fetches WAL: reset restore_command and delete wal-fetch's configuration and identity")]
            + c.forgetFetch.map { .command($0) }
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let data = try server.dataDir()
        let owner = try await run.lifecycleUser(server, of: data, given: call.optionalString("server_user"), serverStopped: true)
        let c = try commands(call, server, owner: owner)
        if try await run.isRunning(server, as: owner) { throw PITRFailure("a server already runs on \(data)") }
        try await run.must(c.signal, "\(data) has no recovery.signal: write the recovery settings first (pitr.write-recovery-config)")

        let started = Date()
        try await run.must(c.start, "starting the server in recovery", show: true)
        var lastReplayed = ""
        var lastReport = Date.distantPast
        var seenRunning = false
        do {
            _ = try await run.poll(every: try call.duration("interval"), for: try call.duration("timeout"), "archive recovery") { () -> Bool? in
                let probe = try await run.attempt(c.progress, timeout: 30)
                if probe.succeeded {
                    seenRunning = true
                    let fields = probe.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|", omittingEmptySubsequences: false)
                    if fields.count == 2, !fields[1].isEmpty { lastReplayed = String(fields[1]) }
                    if fields.first == "false" { return true }
                    if Date().timeIntervalSince(lastReport) > 10 {
                        lastReport = Date()
                        run.log("recovering; last replayed transaction: " + (Instant.parseEpoch(lastReplayed)?.iso8601 ?? "none yet"))
                    }
                    return nil
                }
                // No answer: still starting, not yet consistent, or gone. Only "gone" ends the wait;
                // `pg_ctl -W` returns before the postmaster writes its pid file, so "not running"
                // counts only once the server was seen running, or after a grace period.
                if try await run.isRunning(server, as: owner) {
                    seenRunning = true
                } else if seenRunning || Date().timeIntervalSince(started) > Self.startGrace {
                    throw PITRFailure(seenRunning ? "the server stopped during recovery" : "the server did not start")
                }
                return nil
            }
        } catch let failure as PITRFailure {
            throw PITRFailure(failure.description + (try await ServerLog.tail(server, call, run, lines: 30)))
        }
        let seconds = Date().timeIntervalSince(started)

        let fields = (try await run.rows(c.result, "reading the recovery result").first ?? "").split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        if let replayed = fields.first, !replayed.isEmpty { lastReplayed = replayed }
        let replayedAt = Instant.parseEpoch(lastReplayed)?.iso8601 ?? ""
        let logText = (try? await run.attempt(server.logTail(logFile: try server.logFile(call), lines: 400), timeout: 30))?.stdoutString ?? ""
        let stopReason = logText.split(separator: "\n").last { $0.contains("recovery stopping") || $0.contains("recovery stopped") }
            .map { line in line.range(of: "LOG:").map { String(line[$0.upperBound...]) } ?? String(line) }?
            .trimmingCharacters(in: .whitespaces) ?? ""
        if try call.bool("clear_settings") { try await run.must(c.clear, "resetting the recovery target settings") }
        if try call.bool("forget_wal_fetch"), try await run.attempt(c.fetchFiles, timeout: 60).succeeded {
            for command in c.forgetFetch { try await run.must(command, "removing wal-fetch's files (the identity) after the recovery") }
        }

        run.context.audit("pitr.recovered", ["last_replayed_at": .string(replayedAt), "seconds": .string(String(format: "%.3f", seconds)),
                                             "stop_reason": .string(stopReason)])
        return .ok("promoted after \(String(format: "%.1f", seconds))s; last replayed transaction \(replayedAt.isEmpty ? "none" : replayedAt)"
                   + (stopReason.isEmpty ? "" : "; \(stopReason)"), outputs: [
            "last_replayed_at": .string(replayedAt), "recovery_seconds": .string(String(format: "%.3f", seconds)),
            "timeline": .string(fields.count > 1 ? fields[1] : ""), "stop_reason": .string(stopReason),
        ])
    }
}
