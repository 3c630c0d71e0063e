import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.stop-server`: stop the PostgreSQL server (`pg_ctl stop` as the data directory's
/// owner, or `docker compose stop SERVICE`). A server that is already stopped is fine.
struct StopServer: PITRAction {
    let spec = ActionSpec("pitr.stop-server", summary: "Stop the PostgreSQL server (pg_ctl -m fast, or docker compose stop).", inputs: [
        PITRServer.targetInput,
        InputSpec("mode", .oneOf(["smart", "fast", "immediate"]), default: .string("fast"), "pg_ctl shutdown mode; `immediate` skips the shutdown checkpoint (crash-like)."),
        InputSpec("timeout", .duration, default: .string("120s"), "How long to wait for the server to stop."),
        PITRServer.serverUserInput,
    ], outputs: [OutputSpec("was_running", "Whether the server was running."), OutputSpec("server_user", "The data directory's owner.")])

    func commands(_ call: ResolvedCall, _ server: PITRServer, owner: String) throws -> (status: CommandLine, stop: CommandLine) {
        (try server.status(as: owner), try server.stop(as: owner, mode: try call.string("mode"), timeout: Int(try call.duration("timeout"))))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let owner = try call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(try server.dataDir())
        let c = try commands(call, server, owner: owner)
        var ops: [PlannedOperation] = []
        if !call.has("server_user") && !server.isCompose { ops.append(.command(server.ownerQuery(try server.dataDir()))) }
        return ops + [.command(c.status), .builtin("if it runs:"), .command(c.stop)]
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let data = try server.dataDir()
        if !server.isCompose, !(try await run.attempt(server.onHost(["test", "-e", data]), timeout: 60).succeeded) {
            // A bare host (recovery from the repository): no data directory, so no server on it.
            let owner = try await run.owner(server, of: DataDirectory.parent(of: data), given: call.optionalString("server_user"))
            return .ok("\(data) does not exist: no server runs on it", outputs: ["was_running": .bool(false), "server_user": .string(owner)])
        }
        let owner = try await run.lifecycleUser(server, of: data, given: call.optionalString("server_user"))
        let c = try commands(call, server, owner: owner)
        guard try await run.isRunning(server, as: owner) else {
            return .ok("the server was not running", outputs: ["was_running": .bool(false), "server_user": .string(owner)])
        }
        try await run.must(c.stop, "stopping the server", timeout: try call.duration("timeout") + 30, show: true)
        return .ok("server stopped", outputs: ["was_running": .bool(true), "server_user": .string(owner)])
    }
}
