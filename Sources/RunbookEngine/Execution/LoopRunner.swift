import Foundation
import RunbookCore

/// `for_each` + `as` + `parallel: N`: runs a step's body once per item, at most
/// N at a time. Each iteration is its own record (`step[item]`) with its own
/// retry, timeout and rollback. After a failure no new iteration starts (unless
/// the step says `on_failure: continue`); running ones finish and are recorded,
/// so the saga can undo them. The step's outputs are lists, one value per item.
struct LoopRunner {
    let run: RunState
    let frame: Frame
    let steps: StepRunner

    func items(_ step: Step, scope: Scope) throws -> [Value] {
        guard let node = step.forEach else { return [] }
        let value = try Evaluator(scope: scope).value(node)
        switch value {
        case .list(let items): return items
        case .null: return []
        default:
            throw EvaluationError("for_each must be a list, got \"\(value)\"", at: node.location)
        }
    }

    /// `step[item]` for short plain items, `step[#i]` otherwise; stable across resume.
    static func iterationPath(_ path: String, item: Value, index: Int) -> String {
        let text = item.description
        let plain = !text.isEmpty && text.count <= 40 && text.allSatisfy { $0.isLetter || $0.isNumber || "_.-".contains($0) }
        return plain ? "\(path)[\(text)]" : "\(path)[#\(index)]"
    }

    func execute(_ step: Step, path: String, scope: Scope) async -> StepRunner.Outcome {
        let started = Date()
        let list: [Value]
        do { list = try items(step, scope: scope) } catch {
            steps.start(step, path: path, item: nil, scope: scope)
            let body = steps.finish(step, path: path, started: started, .failed(Invocation.describe(error)), result: nil)
            return steps.policyOutcome(step, path: path, body: body)
        }
        steps.start(step, path: path, item: nil, scope: scope)
        let variable = step.loopVariable ?? "item"
        let parallel = max(1, step.parallel)
        var results = [StepRunner.BodyResult?](repeating: nil, count: list.count)
        var stop = false

        await withTaskGroup(of: (Int, StepRunner.BodyResult).self) { group in
            var next = 0
            func launch() {
                let index = next
                next += 1
                let item = list[index]
                let iterationPath = Self.iterationPath(path, item: item, index: index)
                let iterationScope = scope.with(loopVariable: variable, value: item)
                group.addTask {
                    if let previous = run.previousRecord(iterationPath), previous.state.isDone, !run.previousHasChildren(iterationPath) {
                        if previous.state == .succeeded {
                            steps.pushRollback(step, path: iterationPath, scope: iterationScope, outputs: previous.outputs, loop: path)
                        }
                        run.recorder.show(.stepSkipped(path: iterationPath, reason: "done in an earlier attempt"))
                        return (index, previous.state == .succeeded ? .succeeded(previous.outputs) : .failed(previous.message ?? "failed"))
                    }
                    let body = await steps.runBody(step, path: iterationPath, scope: iterationScope, item: item)
                    if case .succeeded(let outputs) = body {
                        steps.pushRollback(step, path: iterationPath, scope: iterationScope, outputs: outputs, loop: path)
                    }
                    return (index, body)
                }
            }
            while next < list.count && next < parallel { launch() }
            for await (index, body) in group {
                results[index] = body
                switch body {
                case .succeeded: break
                case .failed: if !step.onFailure.goesOn { stop = true }
                case .interrupted: stop = true
                }
                if !stop && !Task.isCancelled && next < list.count { launch() }
            }
        }

        let interrupted = Task.isCancelled || results.contains { if case .interrupted? = $0 { return true }; return false }
        let failures = results.enumerated().compactMap { i, r -> String? in
            if case .failed(let why)? = r { return "\(Self.iterationPath(path, item: list[i], index: i)): \(why)" }
            return nil
        }
        let body: StepRunner.BodyResult
        if interrupted {
            body = .interrupted
        } else if !failures.isEmpty {
            body = .failed(failures.count == 1 ? failures[0] : "\(failures.count) of \(list.count) items failed; first: \(failures[0])")
        } else {
            var outputs: [String: [Value]] = [:]
            for r in results { if case .succeeded(let o)? = r { for (k, v) in o { outputs[k, default: []].append(v) } } }
            body = .succeeded(outputs.mapValues { .list($0) })
        }
        if case .succeeded(let outputs) = body { frame.setOutputs(step.id, outputs) }
        let summary = ActionResult(succeeded: true, message: "\(list.count) item\(list.count == 1 ? "" : "s")")
        steps.finish(step, path: path, started: started, body, result: summary)
        return steps.policyOutcome(step, path: path, body: body)
    }

    /// On resume of a loop that completed earlier: its iterations' rollbacks go back on the saga.
    func restoreRollbacks(_ step: Step, path: String, scope: Scope) {
        guard step.rollback != nil, let previous = run.previous else { return }
        let variable = step.loopVariable ?? "item"
        for record in previous.steps where record.path.hasPrefix(path + "[") && record.state == .succeeded {
            guard let item = record.item?.value else { continue }
            steps.pushRollback(step, path: record.path, scope: scope.with(loopVariable: variable, value: item), outputs: record.outputs, loop: path)
        }
    }
}
