import Foundation
import RunbookCore
import RunbookEngine

/// Check `compose.healthy`: every named service is running, and healthy when it has a
/// health check. Polls until a deadline instead of sleeping a fixed time (the seed's
/// `sleep 30`), and fails at once for a service the project does not define (a typo cannot
/// be waited away).
struct ComposeHealthy: ExecutableAction {
    let spec = ActionSpec("compose.healthy", role: .check, summary: "Services are running (and healthy, where they have a health check), polled until a deadline.", inputs: [
        ComposeProject.targetInput,
        InputSpec("services", .list(.string), required: true, "Services that must be up."),
        InputSpec("require_healthy", .bool, default: .bool(true), "Also require services with a health check to report healthy (false: running is enough)."),
        InputSpec("timeout", .duration, default: .string("60s"), "How long to keep polling."),
        InputSpec("interval", .duration, default: .string("1s"), "Time between polls."),
    ], outputs: [OutputSpec("states", "Each container's state and health when the check ended.")])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try ComposeProject.command(call, ["config", "--services"], in: context)),
         .command(try ComposeProject.command(call, ["ps", "--all", "--format", "json"] + (try call.strings("services")), in: context)),
         .builtin("repeat every \(call.optionalString("interval") ?? "1s") until every service is running\((try? call.bool("require_healthy")) == false ? "" : " and healthy"), for at most \(call.optionalString("timeout") ?? "60s")")]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let services = try call.strings("services")
        guard !services.isEmpty else { throw ActionInputError.invalid("services", "name at least one service") }
        let requireHealthy = try call.bool("require_healthy")
        let interval = try call.duration("interval")
        let deadline = Date().addingTimeInterval(try call.duration("timeout"))
        let commands = try plan(call, in: context.plan).compactMap { op -> CommandLine? in
            if case .command(let c) = op { return c }
            return nil
        }
        guard commands.count == 2 else { return .failed("nothing to run") }
        let defined = try await context.processes.run(commands[0], environment: [:], timeout: 30, onOutput: nil)
        guard defined.succeeded else {
            return .failed("docker compose config failed (\(defined.status)): \(defined.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines).suffix(300))",
                           exitStatus: defined.status.code)
        }
        let known = defined.stdoutString.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.sorted()
        for service in services where !known.contains(service) {
            return .failed("the project defines no service \"\(service)\"\(Suggestions.didYouMean(service, in: known)) (services: \(known.joined(separator: ", ")))")
        }
        let command = commands[1]
        var lastProblem = "no answer from docker compose ps"
        var summary = ""
        while true {
            let result = try await context.processes.run(command, environment: [:], timeout: 30, onOutput: nil)
            if result.succeeded {
                let states = ComposeServiceStates(parsing: result.stdoutString)
                summary = states.summary
                let problems = services.compactMap { states.problem($0, requireHealthy: requireHealthy) }
                if problems.isEmpty {
                    return .ok(summary, outputs: ["states": .string(summary)])
                }
                lastProblem = problems.joined(separator: "; ")
            } else {
                let stderr = result.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
                lastProblem = "docker compose ps failed (\(result.status)): \(stderr.suffix(300))"
            }
            if Task.isCancelled { throw CancellationError() }
            if Date().addingTimeInterval(interval) > deadline {
                return ActionResult(succeeded: false, outputs: ["states": .string(summary)],
                                    message: "not up by the deadline: \(lastProblem)")
            }
            try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
