import Foundation
import RunbookCore
import RunbookEngine

/// `compose.up`: create and start services, waiting for their health checks. When it
/// fails, the services' last log lines are added to the message: that is where the reason is.
struct ComposeUp: ExecutableAction {
    static let diagnosticLines = 20

    let spec = ActionSpec("compose.up", summary: "Start services (docker compose up -d), waiting until healthy.", inputs: [
        ComposeProject.targetInput,
        ComposeProject.servicesInput,
        InputSpec("wait", .bool, default: .bool(true), "Wait for services to be running and healthy (--wait)."),
        InputSpec("wait_timeout", .duration, default: .string("120s"), "Deadline for --wait."),
    ])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        var args = ["up", "-d"]
        if try call.bool("wait") {
            let seconds = try call.duration("wait_timeout")
            guard seconds >= 1 else { throw ActionInputError.invalid("wait_timeout", "must be at least 1s") }
            args += ["--wait", "--wait-timeout", String(Int(seconds.rounded(.up)))]
        }
        return [.command(try ComposeProject.command(call, args + (try call.strings("services")), in: context)),
                .builtin("on failure: show the last \(Self.diagnosticLines) log lines of the services")]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        var (result, _) = try await CommandExecution.run(try plan(call, in: context.plan), in: context)
        if !result.succeeded {
            let logs = try ComposeProject.command(call, ["logs", "--no-color", "--tail", String(Self.diagnosticLines)] + (try call.strings("services")), in: context.plan)
            if let tail = try? await context.processes.run(logs, environment: [:], timeout: 30, onOutput: nil), tail.succeeded {
                let text = tail.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty {
                    context.log("last log lines:\n" + text)
                    result.message = (result.message ?? "docker compose up failed") + "\nlast log lines:\n" + text
                }
            }
        }
        return result
    }
}

/// `compose.stop` / `compose.start` / `compose.restart`: the same shape, one verb each.
struct ComposeVerb: ExecutableAction {
    let verb: String
    let spec: ActionSpec
    private let hasTimeout: Bool

    init(_ verb: String, summary: String, timeout: Bool = false) {
        self.verb = verb
        self.hasTimeout = timeout
        var inputs = [ComposeProject.targetInput, ComposeProject.servicesInput]
        if timeout {
            inputs.append(InputSpec("timeout", .duration, "How long containers get to stop before SIGKILL (--timeout); default: compose's 10s."))
        }
        self.spec = ActionSpec("compose.\(verb)", summary: summary, inputs: inputs)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        var args = [verb]
        if hasTimeout, call.has("timeout") { args += ["--timeout", String(Int(try call.duration("timeout").rounded(.up)))] }
        return [.command(try ComposeProject.command(call, args + (try call.strings("services")), in: context))]
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
        [.command(try ComposeProject.command(call, ["down"] + (try call.bool("volumes") ? ["-v"] : []), in: context))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await CommandExecution.run(try plan(call, in: context.plan), in: context).0
    }
}
