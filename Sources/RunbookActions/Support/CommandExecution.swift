import Foundation
import RunbookCore
import RunbookEngine

/// Runs the commands an action planned, in order, stopping at the first failure.
/// Actions whose work is "these processes" use this, so `run` executes exactly what `plan` showed.
enum CommandExecution {
    static func run(_ operations: [PlannedOperation], in context: RunContext) async throws -> (ActionResult, [ProcessResult]) {
        var results: [ProcessResult] = []
        var bytes = 0
        for op in operations {
            guard case .command(let command) = op else { continue }
            let result = try await context.processes.run(command, environment: try context.environment(for: command),
                                                         timeout: context.timeout, onOutput: context.log)
            results.append(result)
            bytes += result.outputBytes
            if !result.succeeded {
                var why = result.timedOut ? "timed out" : "\(command.argv.first ?? "command") failed (\(result.status))"
                if let producer = result.producerStatus, !producer.isSuccess { why += "; input producer failed (\(producer))" }
                let tail = result.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
                if !tail.isEmpty { why += ": " + String(tail.suffix(500)) }
                return (ActionResult(succeeded: false, message: why, exitStatus: result.status.code, outputBytes: bytes), results)
            }
        }
        return (ActionResult(succeeded: true, exitStatus: results.last?.status.code, outputBytes: bytes), results)
    }
}
