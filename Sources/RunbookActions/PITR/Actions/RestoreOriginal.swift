import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.restore-original`: the rollback of a recovery. Stops whatever server runs on the data
/// directory, sets the failed recovery aside as `DATA.failed-pitr-RUN` (kept, for diagnosis),
/// moves the original data directory back and starts the server on it.
struct RestoreOriginal: PITRAction {
    let spec = ActionSpec("pitr.restore-original", summary: "Roll back a recovery: put the original data directory back and start the server.", inputs: [
        PITRServer.targetInput,
        InputSpec("original", .path, required: true, "The original data directory (`${steps.<move step>.outputs.moved_to}`)."),
        InputSpec("timeout", .duration, default: .string("120s"), "Deadline for stopping and for starting the server."),
        PITRServer.serverUserInput,
        PITRServer.logFileInput,
    ], outputs: [OutputSpec("failed_attempt", "Where the data directory of the failed recovery was kept, if there was one.")])

    struct Commands {
        let original: CommandLine
        let stopFast: CommandLine
        let stopImmediate: CommandLine
        let dataExists: CommandLine
        let keepFailed: CommandLine
        let putBack: CommandLine
        let sync: CommandLine
        let forgetFetch: CommandLine
        let start: CommandLine
        let ping: CommandLine
    }

    func commands(_ call: ResolvedCall, _ server: PITRServer, owner: String) throws -> Commands {
        let data = try server.dataDir()
        let original = try call.string("original")
        // In a plan the path is a `<steps...>` placeholder known only once move-aside has run.
        let isPlaceholder = original.hasPrefix("<") && original.hasSuffix(">")
        guard isPlaceholder || original.isEmpty || DataDirectory.parent(of: original) == DataDirectory.parent(of: data) else {
            throw ActionInputError.invalid("original", "must be beside the data directory (in \(DataDirectory.parent(of: data)))")
        }
        let timeout = Int(try call.duration("timeout"))
        let user = server.isCompose ? nil : owner
        return Commands(
            original: server.onHost(["test", "-d", original], serverStopped: true),
            stopFast: try server.stop(as: owner, mode: "fast", timeout: timeout),
            stopImmediate: try server.stop(as: owner, mode: "immediate", timeout: timeout),
            dataExists: server.onHost(["test", "-e", data], serverStopped: true),
            keepFailed: server.onHost(["mv", "-T", "--", data, DataDirectory.failedAttempt(data, runID: server.runID)], as: user, serverStopped: true),
            putBack: server.onHost(["mv", "-T", "--", original, data], as: user, serverStopped: true),
            sync: server.onHost(["sync", "--", DataDirectory.parent(of: data)], serverStopped: true),
            forgetFetch: server.onHost(["rm", "-rf", "--", WALFetchFiles.directory(data: data, runID: server.runID)], serverStopped: true),
            start: try server.start(as: owner, logFile: try server.logFile(call), wait: true, timeout: timeout),
            ping: server.ping)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let original = try call.string("original")
        let c = try commands(call, server, owner: call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(original))
        let lookup: [PlannedOperation] = call.has("server_user") ? [] : [.command(server.ownerQuery(original, serverStopped: true))]
        return lookup + [.command(c.original), .command(try server.status(as: "<owner>")),
                .builtin("if it runs (falling back to -m immediate):"), .command(c.stopFast),
                .command(c.dataExists), .builtin("if it exists, keep the failed recovery:"), .command(c.keepFailed),
                .command(c.putBack), .command(c.sync), .builtin("this run's wal-fetch files (a recovery from the repository), if any:"),
                .command(c.forgetFetch), .command(c.start), .command(c.ping)]
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let data = try server.dataDir()
        let original = try call.string("original")
        if original.isEmpty { return try await abandonOnBareHost(call, server, data, run) }
        guard try await run.attempt(try commands(call, server, owner: "").original, timeout: 60).succeeded else {
            throw PITRFailure("the original data directory \(original) is not there: nothing to put back (was it restored already?)")
        }
        let owner = try await run.owner(server, of: original, given: call.optionalString("server_user"), serverStopped: true)
        let c = try commands(call, server, owner: owner)
        let failedAttempt = try await setFailedAttemptAside(c, call, server, data, owner, run)
        try await run.must(c.putBack, "moving \(original) back to \(data)")
        try await run.must(c.sync, "syncing \(DataDirectory.parent(of: data))")
        try await run.must(c.forgetFetch, "removing this run's wal-fetch files (the identity)")
        run.context.audit("pitr.restore-original", ["restored": .string(data), "failed_attempt": .string(failedAttempt)])
        do {
            try await run.must(c.start, "starting the server on the original data directory", timeout: try call.duration("timeout") + 30, show: true)
        } catch let failure as PITRFailure {
            throw PITRFailure(failure.description + (try await ServerLog.tail(server, call, run)))
        }
        try await run.waitUntilAccepting(server, for: try call.duration("timeout"))
        return .ok("original data directory back in \(data), server running" + (failedAttempt.isEmpty ? "" : "; failed recovery kept in \(failedAttempt)"),
                   outputs: ["failed_attempt": .string(failedAttempt)])
    }

    /// The rollback when there was no data directory before the recovery (a bare host): stop
    /// whatever the failed recovery started, keep its data directory aside as the failed
    /// attempt, remove wal-fetch's files; there is nothing to put back or start.
    private func abandonOnBareHost(_ call: ResolvedCall, _ server: PITRServer, _ data: String, _ run: PITRRun) async throws -> ActionResult {
        let owner = try await run.owner(server, of: DataDirectory.parent(of: data), given: call.optionalString("server_user"), serverStopped: true)
        let c = try commands(call, server, owner: owner)
        let failedAttempt = try await setFailedAttemptAside(c, call, server, data, owner, run)
        try await run.must(c.forgetFetch, "removing this run's wal-fetch files (the identity)")
        run.context.audit("pitr.restore-original", ["restored": .string(""), "failed_attempt": .string(failedAttempt)])
        return .ok("there was no data directory before the recovery: nothing to put back" + (failedAttempt.isEmpty ? "" : "; failed recovery kept in \(failedAttempt)"),
                   outputs: ["failed_attempt": .string(failedAttempt)])
    }

    /// Stops the server the failed recovery started (fast, else immediate) and keeps its data
    /// directory as `DATA.failed-pitr-RUN`; returns that path, or "" when there was none.
    private func setFailedAttemptAside(_ c: Commands, _ call: ResolvedCall, _ server: PITRServer, _ data: String, _ owner: String,
                                       _ run: PITRRun) async throws -> String {
        guard try await run.attempt(c.dataExists, timeout: 60).succeeded else { return "" }
        if try await run.isRunning(server, as: owner) {
            run.log("stopping the recovered server")
            if !(try await run.attempt(c.stopFast, timeout: try call.duration("timeout") + 30, show: true).succeeded) {
                try await run.must(c.stopImmediate, "stopping the recovered server", timeout: try call.duration("timeout") + 30, show: true)
            }
        }
        let failedAttempt = DataDirectory.failedAttempt(data, runID: server.runID)
        try await run.must(c.keepFailed, "setting the failed recovery aside as \(failedAttempt)")
        return failedAttempt
    }
}
