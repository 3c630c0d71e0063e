import Foundation

/// `parallel: N` runs loop items N at a time; without `for_each` there is nothing to parallelise.
public struct ParallelRule: Rule {
    public let name = RuleID.parallel
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        context.facts(for: runbook).stepRefs.compactMap { ref in
            let step = ref.step
            guard step.forEach == nil, let at = step.keyLocations["parallel"] else { return nil }
            return .error(name, "step \(Notes.quote(step.id)) sets parallel: but has no for_each; parallel runs loop items concurrently",
                          at: at, length: "parallel".count)
        }
    }
}
