import Foundation

/// What the operator's screen (or a machine reading `--format json`) is told
/// during a run. Every string is already redacted when a reporter sees it.
public enum RunEvent: Sendable {
    case runStarted(runID: String, runbook: String, resumed: Bool)
    case stepStarted(path: String, title: String?)
    case stepSkipped(path: String, reason: String)
    case output(path: String, line: String)
    case check(path: String, check: String, phase: String, passed: Bool, message: String?)
    case retrying(path: String, attempt: Int, of: Int, delay: Double, message: String?)
    case stepFinished(path: String, state: StepState, duration: Double, message: String?)
    case rollbackStarted(path: String)
    case rollbackFinished(path: String, succeeded: Bool, duration: Double, message: String?)
    case notice(String)
    /// The recovery time objective's verdict, just before `runFinished` (runbooks with `rto:` only).
    case rto(RTOOutcome)
    case runFinished(runID: String, status: RunStatus, duration: Double, message: String?)

    /// The name used for `--format json` and the audit trail.
    public var name: String {
        switch self {
        case .runStarted: return "run.start"
        case .stepStarted: return "step.start"
        case .stepSkipped: return "step.skip"
        case .output: return "output"
        case .check: return "check"
        case .retrying: return "step.retry"
        case .stepFinished: return "step.end"
        case .rollbackStarted: return "rollback.start"
        case .rollbackFinished: return "rollback.end"
        case .notice: return "notice"
        case .rto: return "rto"
        case .runFinished: return "run.end"
        }
    }
}

/// Shows run events: text for people (`TextReporter`) or JSON lines (`JSONReporter`).
public protocol RunReporter: AnyObject, Sendable {
    func report(_ event: RunEvent)
    /// Called before prompting, so live output does not overwrite the question.
    func pause()
    func resume()
}

extension RunReporter {
    public func pause() {}
    public func resume() {}
}
