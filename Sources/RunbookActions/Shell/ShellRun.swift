import Foundation
import RunbookCore
import RunbookEngine

/// `shell.run`: the one action that uses a shell, and says so — its plan shows
/// the exact `/bin/sh -c '<command>'` and its environment. A `${...}` in the command
/// is never pasted into the text: it becomes `"$RB_PARAM_X"` and the value travels in
/// the environment (`ShellText`), so no value can run as a command. Secrets reach the
/// script only through `env` (`${secrets.x}` stays symbolic until the process starts),
/// never in the command text, which the binder refuses to interpolate a secret into.
public struct ShellRun: ExecutableAction {
    /// Longest `stdout` output kept for later steps (the rest is cut and marked).
    public static let outputLimit = 64 * 1024

    public init() {}

    public let spec = ActionSpec(
        "shell.run",
        summary: "Run a command with /bin/sh -c. Each ${...} in it reaches the shell as an environment variable (\"$RB_PARAM_X\"), never as code. Prefer a typed action when one exists.",
        inputs: [
            InputSpec("command", .shell, required: true,
                      "Shell command text, run as /bin/sh -c COMMAND. A ${...} in it is replaced by the expansion of an environment variable holding the value (\"$RB_PARAM_DIR\" for ${params.dir}), so the value arrives as one word and is never parsed as shell code; the plan shows the exact text and variables."),
            InputSpec("env", .map(.string), "Extra environment variables; values may be ${secrets.NAME}."),
            InputSpec("workdir", .path, "Working directory (default: where runbook runs; on `host`, the login directory)."),
            InputSpec("host", .target(.ssh), "An `ssh` target: run the command on that host, through the system's ssh client; `env` values travel on stdin when they are secrets, never in its text."),
        ],
        outputs: [
            OutputSpec("stdout", "Standard output, trimmed of surrounding whitespace, at most 64 KiB."),
            OutputSpec("exit_code", "The command's exit status (128+N when killed by signal N)."),
        ]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try command(call, in: context))]
    }

    func command(_ call: ResolvedCall, in context: PlanContext) throws -> CommandLine {
        let text = try call.string("command")
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ActionInputError.invalid("command", "is empty")
        }
        var environment = try call.environment("env")
        for (name, value) in call.shellVariables {
            guard environment[name] == nil else {
                throw ActionInputError.invalid("env", "\(name) is the variable that carries a ${...} value into the command; use another name")
            }
            environment[name] = .literal(value)
        }
        let command = CommandLine(argv: ["/bin/sh", "-c", text], environment: environment,
                                  workingDirectory: call.optionalString("workdir"))
        guard call.has("host") else { return command }
        return try context.sshConnection(try call.target("host").name).wrap(command)
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let cmd = try command(call, in: context.plan)
        let result = try await context.processes.run(cmd, environment: try context.environment(for: cmd),
                                                     timeout: context.timeout, onOutput: nil)
        var stdout = result.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
        if stdout.utf8.count > Self.outputLimit {
            stdout = String(decoding: Array(stdout.utf8.prefix(Self.outputLimit)), as: UTF8.self) + "\n[truncated]"
        }
        let outputs: [String: Value] = ["stdout": .string(stdout), "exit_code": .int(Int(result.status.code))]
        if result.succeeded {
            return ActionResult(succeeded: true, outputs: outputs, exitStatus: result.status.code, outputBytes: result.outputBytes)
        }
        var message = result.timedOut ? "timed out (\(result.status))" : "\(result.status)"
        if let last = result.stderrTail.split(whereSeparator: \.isNewline).last { message += ": \(last)" }
        return ActionResult(succeeded: false, outputs: outputs, message: message, exitStatus: result.status.code,
                            outputBytes: result.outputBytes)
    }
}
