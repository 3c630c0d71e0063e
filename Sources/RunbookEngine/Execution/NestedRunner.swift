import Foundation
import RunbookCore

/// Runs a child runbook for `runbook.run` inside the current run: same records,
/// same saga (so a later failure of the parent undoes the child's steps too),
/// and the child's locks are taken as well. Its failure is the calling step's failure.
struct NestedRunner: NestedRunbookRunning {
    let run: RunState
    let depth: Int
    /// Deeper nesting is almost certainly a cycle (validation reports cycles before a run).
    static let maxDepth = 8

    func runRunbook(named name: String, params: [String: Value], from context: RunContext) async throws -> ActionResult {
        guard depth + 1 < Self.maxDepth else {
            return .failed("runbook.run nested more than \(Self.maxDepth) deep; is there a cycle?")
        }
        guard let child = run.request.graph.runbook(named: name) else {
            let known = run.request.graph.names
            return .failed("no runbook \"\(name)\" in \(run.request.runbooksDirectory)\(Suggestions.didYouMean(name, in: known))")
        }
        let (bound, diagnostics) = ParamBinder.bind(child, values: params, at: child.nameLocation)
        if diagnostics.hasErrors {
            return .failed("runbook \(name): " + diagnostics.map(\.message).joined(separator: "; "))
        }
        // Validation checks callees without the profile (a call may be skipped); one that runs needs
        // the targets its steps will use with these params.
        let unbound = RunTargetCheck.missingTargets(child, params: bound, profile: run.request.profile, catalog: run.binder.catalog)
        if !unbound.isEmpty {
            return .failed("runbook \(name) requires target\(unbound.count == 1 ? "" : "s") \(unbound.joined(separator: ", ")), which profile \(run.request.profile?.name ?? "(none)") does not bind")
        }
        // Usually resolved before the run's first step already; not for a runbook named by `${...}`.
        let graph = run.request.graph
        let needs = SecretNeeds(catalog: run.binder.catalog, profile: run.request.profile, runbookNamed: { graph.callees[$0] })
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
            do {
                return .ok("runbook \(name) completed", outputs: try child.evaluateOutputs(in: frame.scope(in: run)))
            } catch {
                return .failed("runbook \(name): \(error)")
            }
        case .failed(let path, let message, _):
            run.deferOnFailure(frame, child.onFailure)
            return .failed("\(path): \(message)")
        case .interrupted:
            throw CancellationError()
        }
    }
}
