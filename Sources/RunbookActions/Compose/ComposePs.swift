import RunbookCore
import RunbookEngine

/// `compose.ps`: the seed's `docker compose ps`, as a step whose output later steps and
/// the audit trail keep. It reports; `compose.healthy` is the check that judges.
struct ComposePs: ExecutableAction {
    let spec = ActionSpec("compose.ps", summary: "Record the state and health of services (docker compose ps --all).", inputs: [
        ComposeProject.targetInput,
        ComposeProject.servicesInput,
    ], outputs: [OutputSpec("states", "Each container's state and health, e.g. `postgres-shared running (healthy)`.")])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try ComposeProject.command(call, ["ps", "--all", "--format", "json"] + (try call.strings("services")), in: context))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let (result, processes) = try await CommandExecution.run(try plan(call, in: context.plan), in: context)
        guard result.succeeded, let last = processes.last else { return result }
        let summary = ComposeServiceStates(parsing: last.stdoutString).summary
        return .ok(summary.isEmpty ? "no containers" : summary, outputs: ["states": .string(summary)])
    }
}
