import Foundation
import RunbookCore

/// The name and input of the action that runs another runbook. Declared here so
/// the engine can look through nested runbooks before a run starts (confirmations,
/// secrets) without knowing anything else about the action.
public enum NestedRunbooks {
    public static let actionName = "runbook.run"
    public static let runbookInput = "runbook"
    public static let paramsInput = "params"
    /// Deeper nesting is almost certainly a cycle.
    public static let maxDepth = 8

    /// Runbooks a runbook calls by a literal name, transitively, each once.
    public static func reachable(from runbook: Runbook, in siblings: [String: Runbook]) -> [Runbook] {
        var seen: Set<String> = [runbook.name]
        var out: [Runbook] = []
        var queue = [runbook]
        while let current = queue.popLast() {
            for step in current.steps + current.onFailure {
                for call in [step.action, step.rollback].compactMap({ $0 }) where call.name == actionName {
                    guard let name = call.input(runbookInput)?.scalar, !name.contains("${"),
                          let child = siblings[name], seen.insert(name).inserted else { continue }
                    out.append(child)
                    queue.append(child)
                }
            }
        }
        return out
    }
}

/// Runs a child runbook for `runbook.run` inside the current run: same records,
/// same saga (so a later failure of the parent undoes the child's steps too),
/// and the child's locks are taken as well. Its failure is the calling step's failure.
struct NestedRunner: NestedRunbookRunning {
    let run: RunState
    let depth: Int

    func runRunbook(named name: String, params: [String: Value], from context: RunContext) async throws -> ActionResult {
        guard depth + 1 < NestedRunbooks.maxDepth else {
            return .failed("runbook.run nested more than \(NestedRunbooks.maxDepth) deep; is there a cycle?")
        }
        guard let child = run.request.siblings[name] else {
            let known = run.request.siblings.keys.sorted()
            return .failed("no runbook \"\(name)\" in \(run.request.runbooksDirectory)\(Suggestions.didYouMean(name, in: known))")
        }
        let (bound, diagnostics) = ParamBinder.bind(child, given: ParamBinder.given(params))
        if diagnostics.hasErrors {
            return .failed("runbook \(name): " + diagnostics.map(\.message).joined(separator: "; "))
        }
        // Usually resolved before the run's first step already; not for a runbook named by `${...}`.
        let siblings = run.request.siblings
        let needs = SecretNeeds(catalog: run.binder.catalog, profile: run.request.profile, runbookNamed: { siblings[$0] })
        let needed = Set(needs.names(for: child, params: bound))
        let missing = SecretResolver.declarations(runbook: child, profile: run.request.profile)
            .filter { needed.contains($0.name) && run.vault.all[$0.name] == nil }
        switch SecretResolver.resolve(missing) {
        case .success(let values): run.vault.add(values)
        case .failure(let failures): return .failed(failures.items.map(\.description).joined(separator: "; "))
        }
        do {
            let takeovers = try await run.locks.acquire([child.name] + child.locks.map(\.name), wait: run.options.waitLock)
            for (lockName, holder) in takeovers {
                run.recorder.audit("lock.takeover", step: context.stepPath, message: "took over stale lock \"\(lockName)\" of \(holder)")
            }
        } catch {
            return .failed(Invocation.describe(error))
        }
        let frame = Frame(prefix: context.stepPath + "/", runbook: child, params: bound, depth: depth + 1)
        switch await StepSequence(run: run, frame: frame).execute(child.steps) {
        case .completed:
            return .ok("runbook \(name) completed")
        case .failed(let path, let message, _):
            run.deferOnFailure(frame, child.onFailure)
            return .failed("\(path): \(message)")
        case .interrupted:
            throw CancellationError()
        }
    }
}
