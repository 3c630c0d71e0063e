import Foundation
import RunbookCore

/// How a run ended (or that it has not).
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running
    case succeeded
    /// Every step ran, but at least one failed under `on_failure: continue` (exit 7).
    case completedWithFailures = "completed-with-failures"
    /// A step failed; completed steps were rolled back cleanly.
    case rolledBack = "failed-rolled-back"
    /// A step failed; nothing was rolled back (`on_failure: abort`, or nothing had completed).
    case failed
    /// A step failed and at least one rollback failed: the system needs a person.
    case rollbackFailed = "failed-rollback-failed"
    case interrupted
    /// Refused before any step ran (confirmation missing, lock held, digest mismatch).
    case refused

    /// A run in this state may be continued with `runbook resume`.
    public var isResumable: Bool { [.running, .failed, .rolledBack, .interrupted].contains(self) }
}

public enum StepState: String, Codable, Sendable {
    case pending, running, succeeded, skipped
    case failed
    /// Failed, and `on_failure: continue` let the run go on.
    case continued = "failed-continued"
    case interrupted
    case rolledBack = "rolled-back"
    case rollbackFailed = "rollback-failed"

    /// Done for good: `resume` does not run it again.
    public var isDone: Bool { self == .succeeded || self == .skipped || self == .continued }
}

/// Who confirmed a destructive step or ticked a checklist item, and when.
public struct OperatorAction: Codable, Sendable, Hashable {
    public var what: String
    public var osUser: String
    public var operatorName: String?
    public var at: Date
    /// True when `--yes` stood in for a person (no TTY).
    public var automatic: Bool

    public init(what: String, osUser: String, operatorName: String?, at: Date, automatic: Bool) {
        self.what = what
        self.osUser = osUser
        self.operatorName = operatorName
        self.at = at
        self.automatic = automatic
    }
}

/// One step (or loop iteration, or nested runbook step) of a run. `path` is
/// `step`, `step#2` for the third loop iteration, or `child-runbook/step` inside `runbook.run`.
public struct StepRecord: Codable, Sendable {
    public var path: String
    public var action: String?
    public var state: StepState
    public var attempts: Int
    @PlainValues public var outputs: [String: Value]
    public var message: String?
    public var exitStatus: Int32?
    public var outputBytes: Int
    public var startedAt: Date?
    public var endedAt: Date?
    /// For a loop iteration: the item it ran with.
    public var item: PlainValue?
    public var confirmations: [OperatorAction]
    public var ticks: [OperatorAction]

    public init(path: String, action: String?) {
        self.path = path
        self.action = action
        self.state = .pending
        self.attempts = 0
        self.outputs = [:]
        self.outputBytes = 0
        self.confirmations = []
        self.ticks = []
    }

    public var duration: Double? {
        guard let s = startedAt, let e = endedAt else { return nil }
        return e.timeIntervalSince(s)
    }
}

/// Everything needed to show a run and to resume it: written atomically after every step.
public struct RunJournal: Codable, Sendable {
    public var version = 1
    public var runID: String
    public var runbook: String
    public var runbookPath: String
    public var runbooksDirectory: String
    public var runbookDigest: String
    public var profile: String?
    public var profilePath: String?
    public var profileDigest: String?
    @PlainValues public var params: [String: Value]
    public var planDigest: String
    public var status: RunStatus
    public var startedAt: Date
    public var updatedAt: Date
    public var endedAt: Date?
    public var operatorName: String?
    public var osUser: String
    public var host: String
    public var pid: Int32
    /// runbook's own command line, redacted.
    public var argv: [String]
    /// 1 for the first attempt, +1 per `resume`.
    public var sessions: Int
    public var steps: [StepRecord]
    public var message: String?
    /// The RTO achieved, once the runbook's `rto.until` step has succeeded; absent in older journals.
    public var rto: RTORecord?

    public init(runID: String, runbook: Runbook, runbooksDirectory: String, profile: Profile?, params: [String: Value],
                planDigest: String, operatorName: String?, osUser: String, host: String, argv: [String], startedAt: Date) {
        self.runID = runID
        self.runbook = runbook.name
        // Absolute, so `resume` works from any directory.
        self.runbookPath = StateDirectory.absolute(runbook.path)
        self.runbooksDirectory = StateDirectory.absolute(runbooksDirectory)
        self.runbookDigest = runbook.digest
        self.profile = profile?.name
        self.profilePath = profile.map { StateDirectory.absolute($0.path) }
        self.profileDigest = profile?.digest
        self.params = params
        self.planDigest = planDigest
        self.status = .running
        self.startedAt = startedAt
        self.updatedAt = startedAt
        self.operatorName = operatorName
        self.osUser = osUser
        self.host = host
        self.pid = getpid()
        self.argv = argv
        self.sessions = 1
        self.steps = []
    }

    public func step(_ path: String) -> StepRecord? { steps.first { $0.path == path } }

    public mutating func update(_ path: String, action: String?, _ change: (inout StepRecord) -> Void) {
        if let i = steps.firstIndex(where: { $0.path == path }) {
            change(&steps[i])
        } else {
            var record = StepRecord(path: path, action: action)
            change(&record)
            steps.append(record)
        }
    }

    public var duration: Double { (endedAt ?? updatedAt).timeIntervalSince(startedAt) }
}

extension RunJournal {
    /// A copy with every free-text field passed through the redactor.
    public func redacted(by r: Redactor) -> RunJournal {
        guard !r.isEmpty else { return self }
        var copy = self
        copy.params = params.mapValues { $0.redacted(by: r) }
        copy.argv = r.redact(argv)
        copy.message = message.map(r.redact)
        copy.steps = steps.map { $0.redacted(by: r) }
        return copy
    }
}

extension StepRecord {
    /// A copy with every free-text field passed through the redactor.
    public func redacted(by r: Redactor) -> StepRecord {
        guard !r.isEmpty else { return self }
        var s = self
        s.message = message.map(r.redact)
        s.outputs = outputs.mapValues { $0.redacted(by: r) }
        s.item = item.map { PlainValue($0.value.redacted(by: r)) }
        s.ticks = ticks.map { var t = $0; t.what = r.redact(t.what); return t }
        s.confirmations = confirmations.map { var t = $0; t.what = r.redact(t.what); return t }
        return s
    }
}

extension Value {
    /// The value with every string redacted (lists and maps recursively).
    public func redacted(by r: Redactor) -> Value {
        switch self {
        case .string(let s): return .string(r.redact(s))
        case .list(let items): return .list(items.map { $0.redacted(by: r) })
        case .map(let m): return .map(m.mapValues { $0.redacted(by: r) })
        default: return self
        }
    }
}
