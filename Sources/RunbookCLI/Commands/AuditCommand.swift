import ArgumentParser
import Foundation
import RunbookEngine

/// `runbook audit verify [FILE]`: proves the audit trail was not edited.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Work with the audit trail.",
        subcommands: [AuditVerifyCommand.self]
    )
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the audit trail's hash chain and name the first bad line.",
        discussion: """
        Exit 0 when every line verifies (a torn final line left by a crash is reported, and \
        everything before it verifies); exit 1 naming the first line that was edited, deleted, \
        inserted or reordered.
        """
    )

    @Argument(help: "Audit file (default: audit.jsonl in the state directory).")
    var file: String?

    @Option(name: .customLong("state-dir"), help: "State directory whose audit.jsonl to verify.")
    var stateDir: String?

    func run() async throws {
        let path = file ?? StateDirectory.resolve(stateDir).auditPath
        let report: AuditVerifier.Report
        do { report = try AuditVerifier.verify(path: path) } catch {
            Refusal.exit("\(error)", .invalid)
        }
        if let line = report.firstBadLine {
            FileHandle.standardError.write(Data("\(path):\(line): error: \(report.problem ?? "bad line") [audit-chain]\n".utf8))
            print("\(path): tampered: \(report.verifiedLines) line(s) verify, line \(line) does not")
            throw ExitCode(RunbookExitCode.invalid.rawValue)
        }
        if let torn = report.tornLine {
            FileHandle.standardError.write(Data("\(path):\(torn): warning: torn final line (\(report.tornBytes) bytes): a write was cut short, e.g. by a crash; the lines before it verify [audit-torn]\n".utf8))
        }
        print("\(path): ok, \(report.verifiedLines) event(s) verified")
    }
}
