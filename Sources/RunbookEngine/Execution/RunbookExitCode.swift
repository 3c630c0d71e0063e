import Foundation

/// Documented exit codes: the one table the command line, the audit trail's `exit_status`
/// and `RunStatus.exitCode` all use. Scripts and CI key on these; keep README.md in step.
public enum RunbookExitCode: Int32, CaseIterable, Sendable {
    /// Everything valid, or the run succeeded.
    case success = 0
    /// Validation found errors; nothing ran.
    case invalid = 1
    /// A step failed, or a confirmation was declined after earlier steps completed; completed
    /// steps were rolled back cleanly (or needed no rollback). `runbook resume` asks again.
    case failed = 2
    /// A step failed and at least one rollback failed too: manual attention needed.
    case rollbackFailed = 3
    /// Interrupted (Ctrl-C or SIGTERM) and stopped.
    case interrupted = 4
    /// Refused, nothing ran: the first confirmation declined before any step completed, no
    /// terminal to confirm (and no --yes), plan digest or resume digest mismatch, lock held.
    case refused = 5
    /// `runbook info` only: a threshold given on its command line (`--max-age`, ...) is broken.
    case thresholdBroken = 6
    /// Every step ran, but at least one failed under `on_failure: continue` (a fleet member
    /// that could not be backed up, say): the summary names them. `on_failure: ignore` does not count.
    case completedWithFailures = 7
    /// Bad command-line usage (argument parser's convention).
    case usage = 64

    public static var summary: String {
        "0 success; 1 invalid runbook or profile; 2 step failed, rolled back (also: a confirmation declined after a step completed); 3 step failed and rollback failed; 4 interrupted; 5 refused, nothing ran (also: a confirmation declined before any step completed); 7 completed with failures (steps with on_failure: continue failed); 64 usage error."
    }
}

extension RunStatus {
    /// How a run that ended this way exits: failed (rolled back cleanly, aborted, or nothing
    /// to roll back) is `failed`; a run still marked running was stopped, so `interrupted`.
    public var exitCode: Int32 {
        switch self {
        case .succeeded: return RunbookExitCode.success.rawValue
        case .completedWithFailures: return RunbookExitCode.completedWithFailures.rawValue
        case .failed, .rolledBack: return RunbookExitCode.failed.rawValue
        case .rollbackFailed: return RunbookExitCode.rollbackFailed.rawValue
        case .interrupted, .running: return RunbookExitCode.interrupted.rawValue
        case .refused: return RunbookExitCode.refused.rawValue
        }
    }
}
