import Foundation
import RunbookCore

/// Binds and performs one action or check call: the common path of steps,
/// checks and rollbacks. Binding uses the same `CallBinder` as `runbook plan`,
/// so a run executes exactly what the plan showed.
struct Invocation {
    let run: RunState
    /// Depth of the runbook this call belongs to (nested `runbook.run` calls go one deeper).
    let depth: Int

    struct Attempt {
        var result: ActionResult
        var timedOut = false
        var interrupted = false
    }

    func bind(_ call: ActionCall, path: String, scope: Scope) throws -> (any ExecutableAction, ResolvedCall) {
        let (_, resolved) = try run.binder.bind(call, stepID: path, evaluator: Evaluator(scope: scope))
        guard let action = run.actions[call.name] else {
            throw EvaluationError("action \"\(call.name)\" cannot run in this build", at: call.nameLocation)
        }
        return (action, resolved)
    }

    func context(path: String, action: String, timeout: Double?) -> RunContext {
        let recorder = run.recorder
        let processes = RecordingProcesses(base: run.processes, recorder: recorder, path: path, action: action,
                                           connections: run.connections)
        var ctx = RunContext(plan: run.planContext, processes: processes, secrets: run.vault.all, timeout: timeout,
                             log: { line in recorder.show(.output(path: path, line: line)) },
                             audit: { event, fields in recorder.audit(event, step: path, action: action, data: fields) })
        ctx.stepPath = path
        ctx.nested = NestedRunner(run: run, depth: depth)
        let files = run.secretFiles
        ctx.secretFileWriter = { name, value in try files.path(for: name, value: value) }
        return ctx
    }

    /// Runs the call once under `timeout`. Errors become failed results; a timeout
    /// or an interruption is reported as such, never as a plain failure.
    func perform(_ action: any ExecutableAction, _ call: ResolvedCall, path: String, timeout: Double?) async -> Attempt {
        let expired = Flag()
        let ctx = context(path: path, action: call.spec.name, timeout: timeout)
        do {
            let result = try await Deadline.run(timeout, onExpiry: { expired.set() }) {
                try await action.run(call, in: ctx)
            }
            if expired.isSet { return timedOut(timeout, result) }
            if Task.isCancelled && !result.succeeded { return Attempt(result: result, interrupted: true) }
            return Attempt(result: result)
        } catch {
            if expired.isSet { return timedOut(timeout, nil) }
            if Task.isCancelled || error is CancellationError {
                return Attempt(result: .failed("interrupted"), interrupted: true)
            }
            return Attempt(result: .failed(Self.describe(error)))
        }
    }

    private func timedOut(_ timeout: Double?, _ result: ActionResult?) -> Attempt {
        var r = result ?? .failed("")
        r.succeeded = false
        r.message = "timed out after \(Self.seconds(timeout ?? 0)); its processes were stopped"
        return Attempt(result: r, timedOut: true)
    }

    static func describe(_ error: Error) -> String { String(describing: error) }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s))s" : String(format: "%.1fs", s)
    }
}
