import Foundation
import RunbookCore
import RunbookEngine

/// A fake `ProcessRunning` for unit tests of an action's decisions: each command is answered
/// by the first rule whose matcher accepts its argv, and every command is recorded.
final class ScriptedProcesses: ProcessRunning, @unchecked Sendable {
    struct Rule {
        var matches: ([String]) -> Bool
        var answer: (CommandLine) -> ProcessResult
    }
    private let lock = NSLock()
    private var rules: [Rule] = []
    private(set) var commands: [CommandLine] = []

    func on(_ matches: @escaping ([String]) -> Bool, status: Int32 = 0, stdout: String = "") {
        rules.append(Rule(matches: matches, answer: { _ in ProcessResult(status: .exited(status), stdout: Data(stdout.utf8)) }))
    }

    func on(containing word: String, status: Int32 = 0, stdout: String = "") {
        on({ $0.contains { $0.contains(word) } }, status: status, stdout: stdout)
    }

    var argvs: [[String]] { lock.withLock { commands.map(\.argv) } }

    func run(_ command: CommandLine, environment: [String: String], timeout: Double?,
             onOutput: (@Sendable (String) -> Void)?) async throws -> ProcessResult {
        lock.withLock { commands.append(command) }
        guard let rule = lock.withLock({ rules.first { $0.matches(command.argv) } }) else {
            return ProcessResult(status: .exited(127), stderrTail: "unscripted: \(command.argv.joined(separator: " "))")
        }
        return rule.answer(command)
    }
}
