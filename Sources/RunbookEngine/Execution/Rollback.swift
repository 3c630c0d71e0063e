import Foundation
import RunbookCore

/// The saga: after a failure, the rollbacks of every completed step run newest
/// first, each recorded. A rollback that fails does not stop the others (each
/// undoes something different); the run then ends as "rollback failed".
struct Rollback {
    let run: RunState

    struct Summary {
        var ran = 0
        var failed: [String] = []
        var interrupted = false
    }

    func unwind() async -> Summary {
        var summary = Summary()
        let invocation = Invocation(run: run, depth: 0)
        for unit in run.saga.pending {
            if Task.isCancelled {
                summary.interrupted = true
                break
            }
            let started = Date()
            run.recorder.audit("rollback.start", step: unit.path, action: unit.call.name)
            run.recorder.show(.rollbackStarted(path: unit.path))
            let attempt: Invocation.Attempt
            do {
                let (action, call) = try invocation.bind(unit.call, path: unit.path, scope: unit.scope)
                attempt = await invocation.perform(action, call, path: unit.path + "~rollback", timeout: unit.timeout)
            } catch {
                attempt = Invocation.Attempt(result: .failed(Invocation.describe(error)))
            }
            let ok = attempt.result.succeeded
            let message = ok ? attempt.result.message : StepRunner.failureMessage(attempt.result)
            let duration = Date().timeIntervalSince(started)
            summary.ran += 1
            if !ok { summary.failed.append(unit.path) }
            if attempt.interrupted { summary.interrupted = true }
            run.recorder.step(unit.path, action: nil) {
                $0.state = ok ? .rolledBack : .rollbackFailed
                $0.message = ok ? "rolled back" : "rollback failed: \(message ?? "")"
            }
            if let loop = unit.loop {
                run.recorder.step(loop, action: nil) {
                    if $0.state == .succeeded { $0.state = .rolledBack; $0.message = "items rolled back" }
                    if !ok { $0.state = .rollbackFailed }
                }
            }
            run.recorder.audit("rollback.end", step: unit.path, action: unit.call.name, exitStatus: attempt.result.exitStatus,
                               status: ok ? "rolled-back" : "failed", duration: duration,
                               outputBytes: attempt.result.outputBytes, message: message)
            run.recorder.show(.rollbackFinished(path: unit.path, succeeded: ok, duration: duration, message: message))
            if summary.interrupted { break }
        }
        return summary
    }
}
