import Foundation
import RunbookCore
import RunbookEngine

/// Why a PITR action stopped, in words for the operator. Actions throw it from deep inside
/// and `PITRAction.run` turns it into a failed result: a failure is a result, not a crash.
struct PITRFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// An action of the `pitr` family: it does its work in `perform`, throwing `PITRFailure`
/// when something it ran failed.
protocol PITRAction: ExecutableAction {
    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult
}

extension PITRAction {
    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let run = PITRRun(context: context)
        defer { run.cleanUp() }
        do {
            let result = try await perform(call, run)
            // What was achieved (the chosen backup, where recovery stopped) is for the operator
            // to see, not only for the journal.
            if result.succeeded, let message = result.message { context.log(message) }
            return result
        } catch let failure as PITRFailure {
            return .failed(failure.description)
        }
    }
}

/// Runs the commands an action planned through `context.processes`, with the checks every
/// PITR step needs: exit status, a bounded stderr tail in the message, and small local files
/// (recovery settings, catalog) to feed a command's stdin.
final class PITRRun: @unchecked Sendable {
    let context: RunContext
    private var scratch: String?

    init(context: RunContext) { self.context = context }

    var runID: String { context.plan.runID }

    func log(_ line: String) { context.log(line) }

    /// Runs `command`; the result is returned whatever the exit status. Its output is shown
    /// live under the step only with `show` (the work itself: pg_basebackup, pg_ctl, tar);
    /// the plumbing (catalog reads, listings, polls) would bury it. Stderr is kept either way
    /// for failure messages, and every process is in the audit trail.
    func attempt(_ command: CommandLine, timeout: Double? = 120, show: Bool = false) async throws -> ProcessResult {
        let discard: @Sendable (String) -> Void = { _ in }
        return try await context.processes.run(command, environment: try context.environment(for: command),
                                               timeout: timeout, onOutput: show ? nil : discard)
    }

    /// Runs `command` and fails the action with `what` and the command's stderr unless it succeeds.
    @discardableResult
    func must(_ command: CommandLine, _ what: String, timeout: Double? = 120, show: Bool = false) async throws -> ProcessResult {
        let result = try await attempt(command, timeout: timeout, show: show)
        guard result.succeeded else { throw PITRFailure(Self.describe(what, command, result)) }
        return result
    }

    /// Runs a psql command and returns its rows (trimmed lines), failing the action on error.
    func rows(_ command: CommandLine, _ what: String, timeout: Double? = 60) async throws -> [String] {
        let out = try await must(command, what, timeout: timeout).stdoutString
        return out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func describe(_ what: String, _ command: CommandLine, _ result: ProcessResult) -> String {
        var why = "\(what): " + (result.timedOut ? "timed out" : "\(command.argv.first ?? "command") failed (\(result.status))")
        let tail = result.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
        if !tail.isEmpty { why += ": " + String(tail.suffix(600)) }
        return why
    }

    /// Writes `text` to a private (0600) local file and returns its path, for a command's stdin or stdout.
    func scratchFile(_ name: String, _ text: String) throws -> String {
        let path = try scratchDirectory() + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw PITRFailure("cannot write the temporary file \(path)")
        }
        return path
    }

    /// A private (0700) local directory for this action's temporary files, removed by `cleanUp`.
    func scratchDirectory() throws -> String {
        if let scratch { return scratch }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runbook-pitr-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        scratch = dir
        return dir
    }

    func cleanUp() {
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
    }

    /// The owner of `path` on the server's machine, or `given` when the call names one.
    func owner(_ server: PITRServer, of path: String, given: String?, serverStopped: Bool = false) async throws -> String {
        if let given, !given.isEmpty { return given }
        let out = try await must(server.ownerQuery(path, serverStopped: serverStopped), "finding the owner of \(path)", timeout: 60)
        let owner = out.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !owner.isEmpty, owner != "UNKNOWN" else { throw PITRFailure("\(path) is owned by a user without a name; give server_user") }
        return owner
    }

    /// The user that runs pg_ctl: the data directory's owner locally; for compose, where
    /// docker stops and starts the container, only a given `server_user` (for file commands).
    func lifecycleUser(_ server: PITRServer, of path: String, given: String?, serverStopped: Bool = false) async throws -> String {
        if server.isCompose { return given ?? "" }
        return try await owner(server, of: path, given: given, serverStopped: serverStopped)
    }

    /// Whether the server runs, by `pg_ctl status` (local) or `docker compose ps` (compose).
    func isRunning(_ server: PITRServer, as user: String) async throws -> Bool {
        let command = try server.status(as: user)
        var result = try await attempt(command, timeout: 60)
        // A postmaster that is starting creates its pid file before it writes it; `pg_ctl status`
        // reading it in between fails "the PID file ... is empty". Ask again before deciding:
        // only an empty file that stays empty is an error.
        for _ in 0..<20 where !server.isCompose && Self.readEmptyPIDFile(result) {
            try await Task.sleep(nanoseconds: 100_000_000)
            result = try await attempt(command, timeout: 60)
        }
        if server.isCompose {
            guard result.succeeded else { throw PITRFailure(Self.describe("asking docker compose whether the server runs", command, result)) }
            return !result.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
        switch result.status {
        case .exited(0): return true
        case .exited(3): return false
        default: throw PITRFailure(Self.describe("pg_ctl status", command, result))
        }
    }

    static func readEmptyPIDFile(_ result: ProcessResult) -> Bool {
        result.status == .exited(1) && result.stderrTail.contains("PID file") && result.stderrTail.contains("is empty")
    }

    /// Polls `server.ping` until the server accepts connections. Needed after every start or
    /// restart: `docker compose start/restart` return once the container runs, long before
    /// PostgreSQL answers ("the database system is starting up").
    func waitUntilAccepting(_ server: PITRServer, for seconds: Double) async throws {
        try await poll(every: 0.25, for: seconds, "waiting for the server to accept connections") { () -> Bool? in
            try await attempt(server.ping, timeout: 30).succeeded ? true : nil
        }
    }

    /// Polls `probe` every `interval` seconds until it returns a value or `deadline` passes.
    @discardableResult
    func poll<T>(every interval: Double, for seconds: Double, _ what: String,
                 _ probe: () async throws -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let value = try await probe() { return value }
            if Date().addingTimeInterval(interval) > deadline {
                throw PITRFailure("\(what): not done within \(Int(seconds))s")
            }
            try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
