import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.start-server`: start the PostgreSQL server and wait until it accepts connections.
/// A server that already runs is fine, so this is safe as a rollback after a partial failure.
struct StartServer: PITRAction {
    let spec = ActionSpec("pitr.start-server", summary: "Start the PostgreSQL server (pg_ctl -w, or docker compose start) and wait until it answers.", inputs: [
        PITRServer.targetInput,
        InputSpec("timeout", .duration, default: .string("120s"), "How long to wait until it accepts connections."),
        PITRServer.serverUserInput,
        PITRServer.logFileInput,
    ], outputs: [OutputSpec("was_running", "Whether it was already running.")])

    func commands(_ call: ResolvedCall, _ server: PITRServer, owner: String) throws -> (status: CommandLine, start: CommandLine, ping: CommandLine) {
        (try server.status(as: owner),
         try server.start(as: owner, logFile: try server.logFile(call), wait: true, timeout: Int(try call.duration("timeout"))),
         server.ping)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let owner = try call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(try server.dataDir())
        let c = try commands(call, server, owner: owner)
        var ops: [PlannedOperation] = []
        if !call.has("server_user") && !server.isCompose { ops.append(.command(server.ownerQuery(try server.dataDir()))) }
        return ops + [.command(c.status), .builtin("unless it runs:"), .command(c.start), .builtin("poll until it answers:"), .command(c.ping)]
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let owner = try await run.lifecycleUser(server, of: try server.dataDir(), given: call.optionalString("server_user"))
        let c = try commands(call, server, owner: owner)
        if try await run.isRunning(server, as: owner) {
            return .ok("the server was already running", outputs: ["was_running": .bool(true)])
        }
        let timeout = try call.duration("timeout")
        do {
            try await run.must(c.start, "starting the server", timeout: timeout + 30, show: true)
        } catch let failure as PITRFailure {
            throw PITRFailure(failure.description + (try await ServerLog.tail(server, call, run)))
        }
        try await run.waitUntilAccepting(server, for: timeout)
        return .ok("server started", outputs: ["was_running": .bool(false)])
    }
}

/// The last lines of the server's log, appended to failure messages.
enum ServerLog {
    static func tail(_ server: PITRServer, _ call: ResolvedCall, _ run: PITRRun, lines: Int = 20) async throws -> String {
        guard let result = try? await run.attempt(server.logTail(logFile: try server.logFile(call), lines: lines), timeout: 30),
              result.succeeded else { return "" }
        let text = result.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : "\nserver log:\n" + text
    }
}
