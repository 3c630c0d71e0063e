import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.wait-ready`: polls `pg_isready` until the server accepts connections or the
/// deadline passes. Replaces the seed's `sleep 30`, which is both too long and not enough.
/// For a server on this host named by socket directory or loopback address, each attempt first
/// asks itself (`StartupProbe`), and starts `pg_isready` only when that is not a clear yes.
struct WaitReady: ExecutableAction {
    let spec = ActionSpec(
        "postgres.wait-ready",
        summary: "Wait until the server accepts connections (pg_isready, polled with a deadline).",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("Database to ask for; default: the target's maintenance database.", required: false),
            InputSpec("timeout", .duration, default: .string("60s"), "Give up after this long."),
            InputSpec("interval", .duration, default: .string("1s"), "Pause between attempts."),
        ],
        outputs: [OutputSpec("waited", "Seconds until the server was ready.")]
    )

    struct Recipe {
        var probe: CommandLine
        /// The same question asked without a process, where runbook can reach the socket itself.
        var startup: StartupProbe?
        var timeout: Double
        var interval: Double
    }

    func recipe(_ call: ResolvedCall, _ context: PlanContext) throws -> Recipe {
        let endpoint = try PostgresEndpoint(call, in: context)
        let database = PostgresInputs.database(call, default: endpoint)
        let timeout = try call.duration("timeout")
        let interval = try call.duration("interval")
        guard interval > 0 else { throw ActionInputError.invalid("interval", "must be more than 0s") }
        // -t: how long one attempt may take; bounded so one hung attempt cannot eat the deadline.
        let attempt = max(1, min(5, Int(interval.rounded(.up))))
        let probe = endpoint.command("pg_isready", ["-t", String(attempt)], database: database, noPasswordPrompt: false)
        return Recipe(probe: probe, startup: StartupProbe(endpoint, database: database), timeout: timeout, interval: interval)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try recipe(call, context)
        var ops: [PlannedOperation] = []
        if let startup = r.startup {
            ops.append(.builtin("each attempt first sends a startup message to \(startup.place) itself and reads the answer as pg_isready does; pg_isready runs only when that is not \"accepting connections\""))
        }
        return ops + [.command(r.probe),
                      .builtin("repeat every \(Self.format(r.interval)) until it exits 0 (accepting connections), for at most \(Self.format(r.timeout))")]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try recipe(call, context.plan)
        let start = Date()
        var attempts = 0
        var last = ""
        while true {
            attempts += 1
            if let startup = r.startup, startup.attempt(timeout: min(1, r.interval)) == .accepting {
                // The line pg_isready would have printed, so the operator's log reads as before.
                context.log("\(startup.place) - accepting connections (answered runbook's startup message)")
                let waited = Date().timeIntervalSince(start)
                return .ok("ready after \(Self.format(waited)) (\(attempts) attempt\(attempts == 1 ? "" : "s")): \(startup.place) answered the startup message",
                           outputs: ["waited": .string(PostgresExecution.seconds(waited))])
            }
            let remaining = r.timeout - Date().timeIntervalSince(start)
            let result = try await PostgresExecution.run(r.probe, in: context, timeout: max(1, min(remaining, 30)))
            let waited = Date().timeIntervalSince(start)
            if result.succeeded {
                return .ok("ready after \(Self.format(waited)) (\(attempts) attempt\(attempts == 1 ? "" : "s"))",
                           outputs: ["waited": .string(PostgresExecution.seconds(waited))])
            }
            // pg_isready exit 3: no attempt was made (bad parameters); waiting cannot help.
            if result.status == .exited(3) {
                return .failed("pg_isready made no attempt (invalid connection parameters): " + PostgresExecution.lastLines(result.stderrTail + result.stdoutString, 2), exitStatus: 3)
            }
            last = PostgresExecution.lastLines(result.stdoutString + "\n" + result.stderrTail, 1)
            if Task.isCancelled { throw CancellationError() }
            let left = r.timeout - Date().timeIntervalSince(start)
            if left <= 0 {
                return .failed("not ready after \(Self.format(waited)) (\(attempts) attempts); last answer: \(last.isEmpty ? "\(result.status)" : last)",
                               exitStatus: result.status.code)
            }
            try await Task.sleep(nanoseconds: UInt64(min(r.interval, left) * 1_000_000_000))
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.1fs", seconds)
    }
}
