import Foundation
import RunbookCore
import RunbookEngine

/// Runs the processes postgres actions planned, through the engine's `ProcessRunning`
/// (so timeouts, process-group teardown and redaction apply), and words their failures.
enum PostgresExecution {
    /// Runs one planned command with its secrets resolved, streaming its output to the log;
    /// `quiet` for the engine's own queries, whose JSON answers mean nothing to an operator.
    static func run(_ command: CommandLine, in context: RunContext, timeout: Double? = nil, quiet: Bool = false) async throws -> ProcessResult {
        try await context.processes.run(command, environment: context.environment(for: command),
                                        timeout: timeout ?? context.timeout, onOutput: quiet ? { _ in } : context.log)
    }

    /// `pg_dump failed (exit 1): pg_dump: error: ... database "x" does not exist`
    static func failure(_ command: CommandLine, _ result: ProcessResult) -> String {
        var why: String
        if result.timedOut {
            why = "timed out after \(String(format: "%.1f", result.duration))s"
        } else if let producer = result.producerStatus, !producer.isSuccess {
            why = "\(command.stdinFrom?.first ?? "producer") \(producer)"
            if !result.status.isSuccess { why += ", \(toolName(command)) \(result.status)" }
        } else {
            why = "\(result.status)"
        }
        let detail = lastLines(result.stderrTail, 3)
        return "\(toolName(command)) failed (\(why))" + (detail.isEmpty ? "" : ": " + detail)
    }

    /// The tool a command runs, past any `ssh ... HOST` or `docker compose ... exec -T SERVICE` prefix.
    static func toolName(_ command: CommandLine) -> String {
        if let remote = command.remoteArgv { return toolName(CommandLine(argv: remote)) }
        let argv = command.argv
        if argv.first == "docker", let t = argv.firstIndex(of: "-T") {
            // After -T come `-e NAME`/`-w DIR` pairs, then the service, then the tool.
            var i = t + 1
            while i < argv.count, argv[i] == "-e" || argv[i] == "-w" { i += 2 }
            if i + 1 < argv.count { return (argv[i + 1] as NSString).lastPathComponent }
        }
        return ((argv.first ?? "process") as NSString).lastPathComponent
    }

    static func lastLines(_ text: String, _ n: Int) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.suffix(n).joined(separator: " | ")
    }

    static func seconds(_ s: Double) -> String { String(format: "%.3f", s) }
}
