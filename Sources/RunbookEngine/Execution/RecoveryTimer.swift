import Foundation
import RunbookCore

/// Measures a runbook's `rto:` objective: the time from the run's start (the
/// first session's start, when resumed) until the `until` step — every loop
/// iteration of it — has succeeded. The figure goes to all three records: an
/// `rto` audit event, the journal's `rto`, and a line at the end of the run.
struct RecoveryTimer: Sendable {
    let objective: RTOObjective
    /// The top-level step that ends the recovery.
    let until: String

    init?(_ runbook: Runbook) {
        guard let objective = runbook.rto, let until = objective.untilStep(in: runbook) else { return nil }
        self.objective = objective
        self.until = until
    }

    /// Called for each top-level step that succeeded, in order; records the RTO when it is `until`.
    func stepSucceeded(_ stepID: String, path: String, run: RunState) {
        guard stepID == until else { return }
        // Restored on resume: the attempt that ran it has measured it already.
        if run.recorder.currentJournal.rto != nil, run.previousRecord(path)?.state == .succeeded { return }
        let now = Date()
        let seconds = (now.timeIntervalSince(run.startedAt) * 1000).rounded() / 1000
        let record = RTORecord(until: until, seconds: seconds, target: objective.targetText,
                               targetSeconds: objective.target, at: now)
        run.recorder.journal(durability: .full) { $0.rto = record }
        run.recorder.audit("rto", step: path, status: record.met ? "met" : "missed", duration: seconds,
                           message: RTOOutcome.achieved(record).text,
                           data: ["until": .string(until), "met": .bool(record.met), "target": .string(record.target),
                                  "target_ms": .int(Int((record.targetSeconds * 1000).rounded())),
                                  "rto_ms": .int(Int((seconds * 1000).rounded()))])
    }

    /// Shows the verdict at the end of the run. An RTO measured before a rollback
    /// undid the `until` step is withdrawn from the journal: that recovery did not last.
    func conclude(status: RunStatus, run: RunState) {
        let journal = run.recorder.currentJournal
        let state = journal.step(until)?.state
        if let record = journal.rto, state == .succeeded {
            run.recorder.show(.rto(.achieved(record)))
            return
        }
        let reason: String
        if let record = journal.rto {
            reason = "step \(until) was undone by the rollback after the recovery was measured at \(RTOOutcome.seconds(record.seconds))"
            run.recorder.journal(durability: .full) { $0.rto = nil }
            run.recorder.audit("rto.withdrawn", step: until, message: reason)
        } else if status == .succeeded || status == .completedWithFailures {
            switch state {
            case .skipped?: reason = "step \(until) was skipped"
            case .continued?: reason = "step \(until) failed and the run continued (on_failure: continue)"
            default: reason = "step \(until) did not run"
            }
        } else {
            reason = "run \(status == .interrupted ? "interrupted" : "failed") before step \(until)"
        }
        run.recorder.show(.rto(.notReached(until: until, target: objective.targetText, targetSeconds: objective.target, reason: reason)))
    }
}
