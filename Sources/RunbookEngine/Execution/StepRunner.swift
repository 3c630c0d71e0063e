import Foundation
import RunbookCore

/// Runs one step: `when`, then (per loop item) confirmation, checklist,
/// `require` checks, the action with `retry` and `timeout`, and `verify` checks.
/// Records the step in all three records, and pushes its rollback on the saga when it completes.
struct StepRunner {
    let run: RunState
    let frame: Frame

    enum Outcome {
        case succeeded
        case skipped
        /// Failed under `on_failure: continue`.
        case continued
        case failed(path: String, message: String, policy: Step.FailurePolicy)
        case interrupted(path: String)
    }

    /// The result of one execution of a step's body (the step, or one loop iteration).
    enum BodyResult {
        case succeeded([String: Value])
        case failed(String)
        case interrupted
    }

    var invocation: Invocation { Invocation(run: run, depth: frame.depth) }

    func execute(_ step: Step) async -> Outcome {
        let path = frame.path(step.id)
        if let previous = run.previousRecord(path), previous.state.isDone, !run.previousHasChildren(path) {
            return restore(step, path: path, previous)
        }
        let scope = frame.scope(in: run)
        if let when = step.when {
            do {
                if try !Evaluator(scope: scope).condition(when) {
                    let reason = "when: \(when.text) is false"
                    run.recorder.step(path, action: step.action?.name) { $0.state = .skipped; $0.message = reason }
                    run.recorder.audit("step.skip", step: path, action: step.action?.name, status: "skipped", message: reason)
                    run.recorder.show(.stepSkipped(path: path, reason: reason))
                    return .skipped
                }
            } catch {
                return policyOutcome(step, path: path, body: await failBeforeStart(step, path: path, Invocation.describe(error)))
            }
        }
        if step.forEach != nil {
            return await LoopRunner(run: run, frame: frame, steps: self).execute(step, path: path, scope: scope)
        }
        let body = await runBody(step, path: path, scope: scope, item: nil)
        if case .succeeded(let outputs) = body {
            frame.setOutputs(step.id, outputs)
            pushRollback(step, path: path, scope: scope, outputs: outputs)
        }
        return policyOutcome(step, path: path, body: body)
    }

    func policyOutcome(_ step: Step, path: String, body: BodyResult) -> Outcome {
        switch body {
        case .succeeded: return .succeeded
        case .interrupted: return .interrupted(path: path)
        case .failed(let message):
            return step.onFailure.goesOn ? .continued : .failed(path: path, message: message, policy: step.onFailure)
        }
    }

    func pushRollback(_ step: Step, path: String, scope: Scope, outputs: [String: Value], loop: String? = nil) {
        guard let rollback = step.rollback else { return }
        var s = scope
        s.stepOutputs[step.id] = outputs
        run.saga.push(SagaUnit(path: path, loop: loop, stepID: step.id, call: rollback, scope: s, timeout: step.timeout))
    }

    /// A step the resumed attempt already completed: its outputs and rollback come back, it does not run.
    private func restore(_ step: Step, path: String, _ previous: StepRecord) -> Outcome {
        frame.setOutputs(step.id, previous.outputs)
        if previous.state == .succeeded {
            if step.forEach != nil {
                LoopRunner(run: run, frame: frame, steps: self).restoreRollbacks(step, path: path, scope: frame.scope(in: run))
            } else {
                pushRollback(step, path: path, scope: frame.scope(in: run), outputs: previous.outputs)
            }
        }
        run.noteCompleted()
        if previous.state == .continued, step.onFailure == .continue { run.noteFailedAndContinued(path) }
        run.recorder.show(.stepSkipped(path: path, reason: "done in an earlier attempt (\(previous.state.rawValue))"))
        return previous.state == .succeeded ? .succeeded : previous.state == .skipped ? .skipped : .continued
    }

    private func failBeforeStart(_ step: Step, path: String, _ message: String) async -> BodyResult {
        start(step, path: path, item: nil, scope: frame.scope(in: run))
        return finish(step, path: path, started: Date(), .failed(message), result: nil)
    }

    // MARK: - Body

    func runBody(_ step: Step, path: String, scope: Scope, item: Value?) async -> BodyResult {
        let started = Date()
        start(step, path: path, item: item, scope: scope)
        if let failure = run.recorder.failure {
            return finish(step, path: path, started: started, .failed("cannot keep the run's records: \(failure)"), result: nil)
        }
        let evaluator = Evaluator(scope: scope)
        var bound: (any ExecutableAction, ResolvedCall)?
        do {
            if let call = step.action { bound = try invocation.bind(call, path: path, scope: scope) }
        } catch {
            return finish(step, path: path, started: started, .failed(Invocation.describe(error)), result: nil)
        }

        let gate = OperatorGate(run: run)
        if step.confirm != nil || bound?.1.spec.destructive == true {
            let message: String
            var subject: ConfirmedSubject?
            do {
                message = try step.confirm.map { try evaluator.string($0) } ?? "\(bound?.1.spec.name ?? step.id) is destructive"
                // What is confirmed is resolved now (`latest` becomes a file) and is what runs.
                if let (action, call) = bound, let describing = action as? any ConfirmationSubject {
                    let s = try describing.confirmationSubject(call, in: run.planContext)
                    bound = (action, s.pinned)
                    subject = s
                }
            } catch {
                return finish(step, path: path, started: started, .failed(Invocation.describe(error)), result: nil)
            }
            let name = OperatorGate.confirmationName(for: bound?.1, stepID: step.id)
            switch await gate.confirm(path: path, message: message, details: subject?.details ?? [], name: name) {
            case .granted(let who):
                run.recorder.step(path, action: step.action?.name) { $0.confirmations.append(who) }
                run.recorder.audit("confirmation", step: path, action: step.action?.name, status: "confirmed",
                                   message: who.what, data: Self.operatorData(who).merging(subject?.data ?? [:]) { a, _ in a })
            case .refused(let why):
                if Task.isCancelled { return finish(step, path: path, started: started, .interrupted, result: nil) }
                run.noteRefusal(at: path)
                run.recorder.audit("confirmation", step: path, action: step.action?.name, status: "refused", message: why,
                                   data: subject?.data)
                return finish(step, path: path, started: started, .failed(why), result: nil)
            }
        }

        if !step.manual.isEmpty {
            let items: [String]
            do { items = try step.manual.map { try evaluator.string($0) } } catch {
                return finish(step, path: path, started: started, .failed(Invocation.describe(error)), result: nil)
            }
            let recorder = run.recorder
            let refusal = await gate.tick(path: path, items: items) { who in
                recorder.step(path, action: step.action?.name) { $0.ticks.append(who) }
                recorder.audit("manual.tick", step: path, status: who.automatic ? "auto-confirmed" : "ticked",
                               message: who.what, data: Self.operatorData(who))
            }
            if Task.isCancelled { return finish(step, path: path, started: started, .interrupted, result: nil) }
            if let refusal { return finish(step, path: path, started: started, .failed(refusal), result: nil) }
        }

        let checks = Checks(run: run, invocation: invocation)
        switch await checks.evaluate(step.require, phase: "require", path: path, scope: scope, timeout: step.timeout) {
        case .passed: break
        case .interrupted: return finish(step, path: path, started: started, .interrupted, result: nil)
        case .failed(let why): return finish(step, path: path, started: started, .failed(why), result: nil)
        }

        var last: ActionResult?
        if let (action, call) = bound {
            let attempts = max(1, step.retry?.attempts ?? 1)
            for attempt in 1...attempts {
                if attempt > 1 { run.recorder.step(path, action: call.spec.name, durability: .none) { $0.attempts = attempt } }
                let outcome = await invocation.perform(action, call, path: path, timeout: step.timeout)
                last = outcome.result
                if outcome.interrupted { return finish(step, path: path, started: started, .interrupted, result: last) }
                if outcome.result.succeeded { break }
                let why = Self.failureMessage(outcome.result)
                guard attempt < attempts else {
                    return finish(step, path: path, started: started, .failed(why), result: last)
                }
                let delay = step.retry?.delay ?? 0
                run.recorder.audit("step.retry", step: path, action: call.spec.name, exitStatus: outcome.result.exitStatus,
                                   status: "failed", message: why, data: ["attempt": .int(attempt), "of": .int(attempts)])
                run.recorder.show(.retrying(path: path, attempt: attempt, of: attempts, delay: delay, message: why))
                if delay > 0 { try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000)) }
                if Task.isCancelled { return finish(step, path: path, started: started, .interrupted, result: last) }
            }
        }

        switch await checks.evaluate(step.verify, phase: "verify", path: path, scope: scope, timeout: step.timeout) {
        case .passed: break
        case .interrupted: return finish(step, path: path, started: started, .interrupted, result: last)
        case .failed(let why): return finish(step, path: path, started: started, .failed(why), result: last)
        }
        return finish(step, path: path, started: started, .succeeded(last?.outputs ?? [:]), result: last)
    }

    static func failureMessage(_ result: ActionResult) -> String {
        if let m = result.message, !m.isEmpty { return m }
        if let code = result.exitStatus { return "exit status \(code)" }
        return "failed"
    }

    static func operatorData(_ who: OperatorAction) -> [String: Value] {
        var d: [String: Value] = ["os_user": .string(who.osUser), "automatic": .bool(who.automatic),
                                  "at": .string(AuditLog.timestamp(who.at))]
        if let op = who.operatorName { d["operator"] = .string(op) }
        return d
    }

    // MARK: - Records

    func start(_ step: Step, path: String, item: Value?, scope: Scope) {
        let now = Date()
        run.recorder.step(path, action: step.action?.name, durability: .none) {
            $0.state = .running
            $0.attempts = step.action == nil ? 0 : 1
            $0.startedAt = now
            $0.endedAt = nil
            $0.message = nil
            $0.item = item.map(PlainValue.init)
        }
        run.recorder.audit("step.start", step: path, action: step.action?.name,
                           data: item.map { ["item": $0] })
        run.recorder.show(.stepStarted(path: path, title: step.title(in: scope)))
    }

    @discardableResult
    func finish(_ step: Step, path: String, started: Date, _ body: BodyResult, result: ActionResult?) -> BodyResult {
        let duration = Date().timeIntervalSince(started)
        let state: StepState
        var message: String?
        var outputs: [String: Value] = [:]
        switch body {
        case .succeeded(let o):
            state = .succeeded
            outputs = o
            message = result?.message
            run.noteCompleted()
        case .failed(let why):
            state = step.onFailure.goesOn ? .continued : .failed
            message = why
            if step.onFailure == .continue { run.noteFailedAndContinued(path) }
        case .interrupted:
            state = .interrupted
            message = "interrupted"
        }
        let now = Date()
        run.recorder.step(path, action: step.action?.name) {
            $0.state = state
            $0.endedAt = now
            $0.message = message
            $0.outputs = outputs
            $0.exitStatus = result?.exitStatus
            $0.outputBytes = result?.outputBytes ?? 0
        }
        run.recorder.audit("step.end", step: path, action: step.action?.name, exitStatus: result?.exitStatus,
                           status: state.rawValue, duration: duration, outputBytes: result?.outputBytes ?? 0, message: message)
        run.recorder.show(.stepFinished(path: path, state: state, duration: duration, message: message))
        return body
    }
}
