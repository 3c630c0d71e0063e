import ArgumentParser
import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine

/// `--format text|json` for run, resume, history and show.
enum RunOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension InterruptPolicy: ExpressibleByArgument {}

/// Options `run` and `resume` share.
struct RunSessionOptions: ParsableArguments {
    @Flag(name: .long, help: "Confirm destructive steps and tick checklists without asking (required without a terminal).")
    var yes = false

    @Option(name: .customLong("operator"), help: "Your name, recorded with every confirmation and tick (besides the OS user).")
    var operatorName: String?

    @Option(name: .customLong("state-dir"), help: "Where journals, locks and the audit trail live (default: $XDG_STATE_HOME/runbook or ~/.local/state/runbook).")
    var stateDir: String?

    @Option(help: "text for people, json for one event per line.")
    var format: RunOutputFormat = .text

    @Option(name: .customLong("wait-lock"), help: "Wait this long (e.g. 30s, 5m) for a run holding the same lock, instead of failing at once.")
    var waitLock: String?

    @Option(name: .customLong("on-interrupt"), help: "Without a terminal, what SIGINT/SIGTERM does after stopping the running step: stop (keep completed steps, resumable) or rollback.")
    var onInterrupt: InterruptPolicy = .stop

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp("Rewrite this Prometheus textfile-collector file after the run (default: the profile's metrics target, if any).", valueName: "FILE"))
    var metricsFile: String?

    @Option(name: .customLong("kill-grace"), help: ArgumentHelp("Seconds between SIGINT, SIGTERM and SIGKILL when stopping a step.", visibility: .hidden))
    var killGrace: Double = 2

    func waitLockSeconds() throws -> Double? {
        guard let text = waitLock else { return nil }
        guard let seconds = RunbookCore.Duration.parseSeconds(text) else {
            throw ValidationError("--wait-lock: \"\(text)\" is not a duration like 30s or 5m")
        }
        return seconds
    }

    func runOptions(force: Bool = false) throws -> RunOptions {
        RunOptions(assumeYes: yes, operatorName: operatorName, onInterrupt: onInterrupt, waitLock: try waitLockSeconds(),
                   argv: Array(Swift.CommandLine.arguments), gracePeriod: max(0.05, killGrace), force: force)
    }
}

/// Runs a request and turns the outcome into runbook's exit code.
enum RunLauncher {
    static func launch(_ request: RunRequest, format: RunOutputFormat, metricsFile: String? = nil) async throws {
        let reporter: RunReporter = format == .json ? JSONReporter() : TextReporter(style: TerminalStyle.detect())
        let interpreter = Interpreter(request: request, actions: Registry.all, reporter: reporter, prompter: TerminalPrompter())
        let outcome = await interpreter.run()
        if outcome.runID != nil { await RunMetrics.write(after: request, explicitPath: metricsFile) }
        if !outcome.diagnostics.isEmpty {
            report(outcome.diagnostics)
            throw RunbookExitCode.invalid.exitCode
        }
        if outcome.status == .refused, format == .text {
            // The reporter printed the reason on stdout; repeat it where scripts look for errors.
            FileHandle.standardError.write(Data("runbook: refused: \(outcome.message ?? "")\n".utf8))
        }
        let code = outcome.status.exitCode
        if code != 0 { throw ExitCode(code) }
    }
}

/// Stops runbook with a message on stderr and a documented exit code.
enum Refusal {
    static func exit(_ message: String, _ code: RunbookExitCode) -> Never {
        FileHandle.standardError.write(Data("runbook: \(message)\n".utf8))
        Foundation.exit(code.rawValue)
    }
}
