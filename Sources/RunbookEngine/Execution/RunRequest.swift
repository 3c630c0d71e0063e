import Foundation
import RunbookCore

/// What to do when SIGINT or SIGTERM stops a run and nobody can be asked.
public enum InterruptPolicy: String, Sendable, CaseIterable {
    /// Roll back the completed steps, newest first.
    case rollback
    /// Leave everything as it is, so the run can be inspected and resumed (the default:
    /// undoing work is a decision for a person, and `resume` needs the completed steps).
    case stop
}

/// Knobs from the command line.
public struct RunOptions: Sendable {
    /// Stands in for the operator where no terminal can ask (confirmations, checklists).
    public var assumeYes: Bool
    /// `--operator NAME`, recorded next to the OS user.
    public var operatorName: String?
    public var onInterrupt: InterruptPolicy
    /// Seconds to wait for a held lock; nil fails at once.
    public var waitLock: Double?
    /// runbook's own argv, for the audit trail (redacted there).
    public var argv: [String]
    /// Seconds between SIGINT, SIGTERM and SIGKILL when stopping a step.
    public var gracePeriod: Double
    /// Resume even when the runbook or profile changed since the run (`--force`).
    public var force: Bool

    public init(assumeYes: Bool = false, operatorName: String? = nil, onInterrupt: InterruptPolicy = .stop,
                waitLock: Double? = nil, argv: [String] = [], gracePeriod: Double = 2, force: Bool = false) {
        self.assumeYes = assumeYes
        self.operatorName = operatorName
        self.onInterrupt = onInterrupt
        self.waitLock = waitLock
        self.argv = argv
        self.gracePeriod = gracePeriod
        self.force = force
    }
}

/// A validated runbook ready to run (or to resume).
public struct RunRequest: Sendable {
    public var runbook: Runbook
    public var profile: Profile?
    /// Bound by `ParamBinder`: typed, defaults applied.
    public var params: [String: Value]
    public var runbooksDirectory: String
    /// `runbook` and every runbook its `runbook.run` calls can reach.
    public var graph: RunbookGraph
    public var stateDirectory: StateDirectory
    public var planDigest: String
    public var options: RunOptions
    /// The journal of the run to continue, for `runbook resume`.
    public var resuming: RunJournal?

    public init(runbook: Runbook, profile: Profile?, params: [String: Value], runbooksDirectory: String,
                graph: RunbookGraph? = nil, stateDirectory: StateDirectory, planDigest: String,
                options: RunOptions, resuming: RunJournal? = nil) {
        self.runbook = runbook
        self.profile = profile
        self.params = params
        self.runbooksDirectory = runbooksDirectory
        self.graph = graph ?? RunbookGraph(root: runbook, available: [:])
        self.stateDirectory = stateDirectory
        self.planDigest = planDigest
        self.options = options
        self.resuming = resuming
    }
}

/// How a run ended, for the command line to turn into an exit code.
public struct RunOutcome: Sendable {
    public var runID: String?
    public var status: RunStatus
    public var message: String?
    /// Problems found before anything ran (e.g. an unavailable secret).
    public var diagnostics: [Diagnostic]

    public init(runID: String?, status: RunStatus, message: String? = nil, diagnostics: [Diagnostic] = []) {
        self.runID = runID
        self.status = status
        self.message = message
        self.diagnostics = diagnostics
    }
}
