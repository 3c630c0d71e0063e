import Foundation

/// What rules derive from one runbook (steps with their places, calls, parsed templates),
/// computed once per validation instead of once per rule: parsing every `${...}` three
/// times was most of the cost of validating a large directory.
final class RunbookFacts: Sendable {
    let stepRefs: [StepRef]
    let callSites: [CallSite]
    let templateSites: [TemplateSite]
    let runbookRunCalls: [(target: String, node: YNode, site: CallSite)]
    /// Calls whose action is known and used in its own role, with its spec.
    let knownCalls: [(site: CallSite, spec: ActionSpec)]
    /// Target names written literally in target-typed inputs.
    let targetUses: [TargetUse]
    private let identity: Identity

    private struct Identity: Equatable {
        var path: String, name: String, digest: String, steps: Int, onFailure: Int
        init(_ r: Runbook) {
            (path, name, digest, steps, onFailure) = (r.path, r.name, r.digest, r.steps.count, r.onFailure.count)
        }
    }

    /// `context` supplies the action specs that `knownCalls` and `targetUses` look up.
    init(_ runbook: Runbook, in context: RuleContext) {
        stepRefs = runbook.stepRefs
        callSites = Runbook.callSites(of: stepRefs)
        templateSites = Runbook.templateSites(of: stepRefs, calls: callSites)
        runbookRunCalls = Runbook.runbookRunCalls(in: callSites)
        knownCalls = callSites.compactMap { site in
            guard let spec = context.spec(site.call.name), spec.role == site.role.expectedRole else { return nil }
            return (site, spec)
        }
        targetUses = Self.targetUses(of: callSites, in: context)
        identity = Identity(runbook)
    }

    func describes(_ runbook: Runbook) -> Bool { identity == Identity(runbook) }
}

extension RuleContext {
    /// The facts for `runbook`: the ones `Validator` computed for this run, or fresh ones
    /// when a rule is called on its own.
    func facts(for runbook: Runbook) -> RunbookFacts {
        if let facts = cachedFacts, facts.describes(runbook) { return facts }
        return RunbookFacts(runbook, in: self)
    }
}
