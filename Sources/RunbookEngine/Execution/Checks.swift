import Foundation
import RunbookCore

/// Runs a step's `require:` (before) or `verify:` (after) checks, in order,
/// stopping at the first that does not pass. Each check is recorded.
struct Checks {
    let run: RunState
    let invocation: Invocation

    enum Verdict {
        case passed
        case failed(String)
        case interrupted
    }

    func evaluate(_ checks: [ActionCall], phase: String, path: String, scope: Scope, timeout: Double?) async -> Verdict {
        for call in checks {
            if Task.isCancelled { return .interrupted }
            let started = Date()
            let attempt: Invocation.Attempt
            do {
                let (action, resolved) = try invocation.bind(call, path: path, scope: scope)
                attempt = await invocation.perform(action, resolved, path: path, timeout: timeout)
            } catch {
                attempt = Invocation.Attempt(result: .failed(Invocation.describe(error)))
            }
            if attempt.interrupted { return .interrupted }
            let passed = attempt.result.succeeded
            let message = attempt.result.message
            run.recorder.audit("check", step: path, action: call.name, exitStatus: attempt.result.exitStatus,
                               status: passed ? "passed" : "failed", duration: Date().timeIntervalSince(started),
                               outputBytes: attempt.result.outputBytes, message: message,
                               data: ["phase": .string(phase)])
            run.recorder.show(.check(path: path, check: call.name, phase: phase, passed: passed, message: message))
            if !passed {
                let what = phase == "require" ? "precondition" : "postcondition"
                return .failed("\(what) \(call.name) failed\(message.map { ": \($0)" } ?? "")")
            }
        }
        return .passed
    }
}
