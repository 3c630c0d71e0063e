import RunbookCore
import RunbookEngine

/// `compose.up`: create and start services, waiting for their health checks.
struct ComposeUp: ExecutableAction {
    let spec = ActionSpec("compose.up", summary: "Start services (docker compose up -d), waiting until healthy.", inputs: [
        ComposeProject.targetInput,
        ComposeProject.servicesInput,
        InputSpec("wait", .bool, default: .bool(true), "Wait for services to be running and healthy (--wait)."),
        InputSpec("wait_timeout", .duration, default: .string("120s"), "Deadline for --wait."),
    ])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        var args = ["up", "-d"]
        if try call.bool("wait") { args += ["--wait", "--wait-timeout", String(Int(try call.duration("wait_timeout")))] }
        return [.command(try ComposeProject.command(call, args + (try call.strings("services"))))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await CommandExecution.run(try plan(call, in: context.plan), in: context).0
    }
}

/// `compose.stop` / `compose.start` / `compose.restart`: the same shape, one verb each.
struct ComposeVerb: ExecutableAction {
    let verb: String
    let spec: ActionSpec

    init(_ verb: String, summary: String) {
        self.verb = verb
        self.spec = ActionSpec("compose.\(verb)", summary: summary, inputs: [ComposeProject.targetInput, ComposeProject.servicesInput])
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try ComposeProject.command(call, [verb] + (try call.strings("services"))))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await CommandExecution.run(try plan(call, in: context.plan), in: context).0
    }
}

/// `compose.down`: stop and remove containers; volumes only when asked (destructive).
struct ComposeDown: ExecutableAction {
    let spec = ActionSpec("compose.down", summary: "Stop and remove the project's containers (docker compose down).", inputs: [
        ComposeProject.targetInput,
        InputSpec("volumes", .bool, default: .bool(false), "Also remove named volumes (-v). Destroys data."),
    ], destructive: true)

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try ComposeProject.command(call, ["down"] + (try call.bool("volumes") ? ["-v"] : [])))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await CommandExecution.run(try plan(call, in: context.plan), in: context).0
    }
}
