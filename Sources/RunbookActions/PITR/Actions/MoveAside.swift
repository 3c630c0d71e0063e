import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.move-aside`: rename the stopped server's data directory to `DATA.before-pitr-RUN`,
/// next to it (a rename on the same file system: instant, nothing copied, nothing deleted).
/// It is the rollback of a recovery: `pitr.restore-original` puts it back.
struct MoveAside: PITRAction {
    let spec = ActionSpec("pitr.move-aside", summary: "Move the (stopped) server's data directory aside, keeping it whole for rollback.", inputs: [
        PITRServer.targetInput,
        InputSpec("moved_to", .path, "Where to move it; default `<data_dir>.before-pitr-<run id>`, beside it."),
        PITRServer.serverUserInput,
    ], outputs: [
        OutputSpec("moved_to", "Where the original data directory now is."),
        OutputSpec("server_user", "The data directory's owner (who must own the restored one)."),
    ], destructive: true)

    func destination(_ call: ResolvedCall, _ server: PITRServer) throws -> String {
        if let given = call.optionalString("moved_to"), !given.isEmpty { return given }
        return DataDirectory.setAside(try server.dataDir(), runID: server.runID)
    }

    func commands(_ call: ResolvedCall, _ server: PITRServer, owner: String) throws -> (status: CommandLine, free: CommandLine, move: CommandLine, sync: CommandLine) {
        let data = try server.dataDir()
        let to = try destination(call, server)
        guard DataDirectory.parent(of: to) == DataDirectory.parent(of: data) else {
            throw ActionInputError.invalid("moved_to", "must be beside the data directory (in \(DataDirectory.parent(of: data))) so the move is a rename")
        }
        // The owner renames it (it owns the parent on a normal install); in a container, root does.
        let user = server.isCompose ? nil : owner
        return (try server.status(as: owner),
                server.onHost(["test", "!", "-e", to], serverStopped: true),
                server.onHost(["mv", "-T", "--", data, to], as: user, serverStopped: true),
                server.onHost(["sync", "--", DataDirectory.parent(of: data)], serverStopped: true))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let data = try server.dataDir()
        let c = try commands(call, server, owner: call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(data))
        let bareHost: [PlannedOperation] = server.isCompose ? [] : [
            .command(server.onHost(["test", "-e", data], serverStopped: true)),
            .builtin("absent (a bare host): nothing to move; the restored data directory will belong to the owner of \(DataDirectory.parent(of: data))")]
        return bareHost + [.command(server.ownerQuery(data, serverStopped: true)), .command(c.status), .builtin("the server must be stopped"),
                .command(c.free), .command(c.move), .command(c.sync)]
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let data = try server.dataDir()
        if !server.isCompose, !(try await run.attempt(server.onHost(["test", "-e", data], serverStopped: true), timeout: 60).succeeded) {
            // A bare host: nothing to keep. The restored directory will belong to the parent's owner.
            let owner = try await run.owner(server, of: DataDirectory.parent(of: data), given: call.optionalString("server_user"), serverStopped: true)
            run.context.audit("pitr.move-aside", ["from": .string(data), "to": .string(""), "absent": .bool(true)])
            return .ok("\(data) does not exist (a bare host): nothing to move aside", outputs: ["moved_to": .string(""), "server_user": .string(owner)])
        }
        let owner = try await run.owner(server, of: data, given: call.optionalString("server_user"), serverStopped: true)
        let c = try commands(call, server, owner: owner)
        let to = try destination(call, server)
        if try await run.isRunning(server, as: owner) { throw PITRFailure("the server is running; stop it first (pitr.stop-server)") }
        try await run.must(c.free, "\(to) already exists; refusing to overwrite it")
        try await run.must(c.move, "moving \(data) to \(to)")
        try await run.must(c.sync, "syncing \(DataDirectory.parent(of: data))")
        run.context.audit("pitr.move-aside", ["from": .string(data), "to": .string(to)])
        return .ok("\(data) moved to \(to)", outputs: ["moved_to": .string(to), "server_user": .string(owner)])
    }
}
