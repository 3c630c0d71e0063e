import Foundation
import RunbookCore

/// Runs a runbook's steps in order and stops at the first failure whose policy
/// is not `continue`, or at an interruption.
struct StepSequence {
    let run: RunState
    let frame: Frame

    enum Result {
        case completed
        case failed(path: String, message: String, policy: Step.FailurePolicy)
        case interrupted(path: String?)
    }

    func execute(_ steps: [Step]) async -> Result {
        let runner = StepRunner(run: run, frame: frame)
        let topLevel = frame.depth == 0 && frame.prefix.isEmpty
        for step in steps {
            if Task.isCancelled { return .interrupted(path: nil) }
            switch await runner.execute(step) {
            case .succeeded:
                if topLevel { run.recovery?.stepSucceeded(step.id, path: frame.path(step.id), run: run) }
            case .skipped, .continued: continue
            case .failed(let path, let message, let policy): return .failed(path: path, message: message, policy: policy)
            case .interrupted(let path): return .interrupted(path: path)
            }
        }
        return Task.isCancelled ? .interrupted(path: nil) : .completed
    }

    /// Runbook-level `on_failure` steps: each runs whatever happened to the one before.
    func executeAll(_ steps: [Step]) async {
        let runner = StepRunner(run: run, frame: frame)
        for step in steps {
            if Task.isCancelled { return }
            _ = await runner.execute(step)
        }
    }
}
