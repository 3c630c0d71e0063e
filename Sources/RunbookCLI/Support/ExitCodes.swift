import ArgumentParser

/// Documented exit codes. Scripts and CI key on these; keep README.md in step.
public enum RunbookExitCode: Int32, CaseIterable {
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
    /// Bad command-line usage (argument parser's convention).
    case usage = 64

    public var exitCode: ExitCode { ExitCode(rawValue) }

    public static var summary: String {
        "0 success; 1 invalid runbook or profile; 2 step failed, rolled back (also: a confirmation declined after a step completed); 3 step failed and rollback failed; 4 interrupted; 5 refused, nothing ran (also: a confirmation declined before any step completed); 64 usage error."
    }
}
