import RunbookCore
import RunbookEngine

/// `compose.exec`: one command inside a service, as argv (no shell), with `-T`
/// so it works without a TTY; stdin and stdout can stream from and to host files.
struct ComposeExec: ExecutableAction {
    let spec = ActionSpec("compose.exec", summary: "Run a command in a service (docker compose exec -T), as argv.", inputs: [
        ComposeProject.targetInput,
        InputSpec("service", .string, required: true, "The service to run in."),
        InputSpec("command", .list(.string), required: true, "The argv to run; no shell is involved."),
        InputSpec("env", .map(.string), "Environment for the command; secrets stay out of argv (`-e NAME`)."),
        InputSpec("stdin", .path, "Host file streamed to the command's stdin."),
        InputSpec("stdout", .path, "Host file the command's stdout is streamed to (written as .partial, renamed on success)."),
    ], outputs: [OutputSpec("stdout", "The command's output, when not written to a file (trimmed).")])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let inner = CommandLine(argv: try call.strings("command"), environment: try call.environment("env"),
                                stdinFile: call.optionalString("stdin"), stdoutFile: call.optionalString("stdout"))
        let transport = Transport.composeExec(project: try ComposeProject.project(call), service: try call.string("service"))
        return [.command(transport.wrap(inner))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let (result, processes) = try await CommandExecution.run(try plan(call, in: context.plan), in: context)
        var out = result
        if out.succeeded, !call.has("stdout"), let last = processes.last {
            out.outputs["stdout"] = .string(last.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return out
    }
}

/// `compose.logs`: the tail of services' logs, for diagnostics when something fails.
struct ComposeLogs: ExecutableAction {
    let spec = ActionSpec("compose.logs", summary: "Show the last lines of services' logs.", inputs: [
        ComposeProject.targetInput,
        ComposeProject.servicesInput,
        InputSpec("tail", .int, default: .int(100), "How many lines per service."),
    ])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try ComposeProject.command(call, ["logs", "--no-color", "--tail", String(try call.int("tail"))] + (try call.strings("services"))))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await CommandExecution.run(try plan(call, in: context.plan), in: context).0
    }
}
