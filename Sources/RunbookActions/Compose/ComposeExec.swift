import RunbookCore
import RunbookEngine

/// `compose.exec`: one command inside a service, as argv (no shell), with `-T` so it works
/// without a TTY; stdin and stdout can stream from and to host files, so large dumps never
/// pass through memory. Environment values travel as `-e NAME` (docker reads the value from
/// its own environment), so secrets never reach argv.
struct ComposeExec: ExecutableAction {
    let spec = ActionSpec("compose.exec", summary: "Run a command in a service (docker compose exec -T), as argv.", inputs: [
        ComposeProject.targetInput,
        InputSpec("service", .string, required: true, "The service to run in."),
        InputSpec("command", .list(.string), required: true, "The argv to run; no shell is involved."),
        InputSpec("env", .map(.string), "Environment for the command; secrets stay out of argv (`-e NAME`)."),
        InputSpec("workdir", .string, "Working directory inside the container (-w)."),
        InputSpec("stdin", .path, "Host file streamed to the command's stdin."),
        InputSpec("stdout", .path, "Host file the command's stdout is streamed to (written as .partial, renamed on success)."),
    ], outputs: [OutputSpec("stdout", "The command's output, when not written to a file (trimmed).")])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let argv = try call.strings("command")
        guard !argv.isEmpty else { throw ActionInputError.invalid("command", "give the program and its arguments, e.g. [pg_isready, -q]") }
        let inner = CommandLine(argv: argv, environment: try call.environment("env"),
                                stdinFile: call.optionalString("stdin"), stdoutFile: call.optionalString("stdout"),
                                workingDirectory: call.optionalString("workdir"))
        let transport = try context.transport(for: try ComposeProject.project(call), service: try call.string("service"))
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
