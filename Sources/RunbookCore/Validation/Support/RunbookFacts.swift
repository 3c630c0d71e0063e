import Foundation

/// What rules derive from one runbook (steps with their places, calls, parsed templates),
/// computed once per validation instead of once per rule: parsing every `${...}` three
/// times was most of the cost of validating a large directory.
final class RunbookFacts: Sendable {
    let stepRefs: [StepRef]
    let callSites: [CallSite]
    let templateSites: [TemplateSite]
    let runbookRunCalls: [(target: String, node: YNode, site: CallSite)]
    private let identity: Identity

    private struct Identity: Equatable {
        var path: String, name: String, digest: String, steps: Int, onFailure: Int
        init(_ r: Runbook) {
            (path, name, digest, steps, onFailure) = (r.path, r.name, r.digest, r.steps.count, r.onFailure.count)
        }
    }

    init(_ runbook: Runbook) {
        stepRefs = runbook.stepRefs
        callSites = Runbook.callSites(of: stepRefs)
        templateSites = Runbook.templateSites(of: stepRefs, calls: callSites)
        runbookRunCalls = Runbook.runbookRunCalls(in: callSites)
        identity = Identity(runbook)
    }

    func describes(_ runbook: Runbook) -> Bool { identity == Identity(runbook) }

    /// Calls whose action is known and used in its own role, with its spec.
    func knownCalls(_ context: RuleContext) -> [(site: CallSite, spec: ActionSpec)] {
        callSites.compactMap { site in
            guard let spec = context.spec(site.call.name), spec.role == site.role.expectedRole else { return nil }
            return (site, spec)
        }
    }
}

extension RuleContext {
    /// The facts for `runbook`: the ones `Validator` computed for this run, or fresh ones
    /// when a rule is called on its own.
    func facts(for runbook: Runbook) -> RunbookFacts {
        if let facts = cachedFacts, facts.describes(runbook) { return facts }
        return RunbookFacts(runbook)
    }
}
