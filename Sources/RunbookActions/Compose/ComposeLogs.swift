import Foundation
import RunbookCore
import RunbookEngine

/// `compose.logs`: the tail of services' logs, for diagnostics when something fails.
struct ComposeLogs: ExecutableAction {
    let spec = ActionSpec("compose.logs", summary: "Show the last lines of services' logs (docker compose logs --tail N).", inputs: [
        ComposeProject.targetInput,
        ComposeProject.servicesInput,
        InputSpec("tail", .int, default: .int(100), "How many lines per service."),
    ], outputs: [OutputSpec("logs", "The lines shown, prefixed with the service's container name.")])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let tail = try call.int("tail")
        guard tail >= 0 else { throw ActionInputError.invalid("tail", "must be 0 or more") }
        return [.command(try ComposeProject.command(call, ["logs", "--no-color", "--tail", String(tail)] + (try call.strings("services")), in: context))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let (result, processes) = try await CommandExecution.run(try plan(call, in: context.plan), in: context)
        var out = result
        if let last = processes.last {
            out.outputs["logs"] = .string(last.stdoutString.trimmingCharacters(in: .newlines))
        }
        return out
    }
}
