import Foundation

/// `rto.until` must name a top-level step: the recovery is measured until that
/// step succeeds, so a misspelt id would leave the objective silently unmeasured.
public struct RTOStepRule: Rule {
    public let name = RuleID.rtoStep
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        guard let until = runbook.rto?.until else { return [] }
        let ids = runbook.steps.map(\.id).filter { !$0.isEmpty }
        guard !ids.contains(until.name) else { return [] }
        let what = runbook.onFailure.contains { $0.id == until.name }
            ? "an on_failure step, \(Notes.quote(until.name)); only a top-level step can end the recovery"
            : "no step \(Notes.quote(until.name))\(Suggestions.didYouMean(until.name, in: ids))"
        return [.error(name, "rto: until names \(what)",
                       at: until.location, length: until.name.count,
                       notes: Notes.list("steps", ids, orElse: "the runbook has no steps"))]
    }
}
