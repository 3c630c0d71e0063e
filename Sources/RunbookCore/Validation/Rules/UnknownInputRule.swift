import Foundation

/// Inputs the action does not declare (typos, or inputs of another action).
public struct UnknownInputRule: Rule {
    public let name = RuleID.unknownInput
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (site, spec) in context.facts(for: runbook).knownCalls {
            let valid = spec.inputs.map(\.name)
            for pair in site.call.inputs where spec.input(pair.key) == nil {
                out.append(.error(name, "\(spec.name) has no input \(Notes.quote(pair.key))\(Suggestions.didYouMean(pair.key, in: valid))",
                                  at: pair.keyLocation, length: pair.key.count,
                                  notes: Notes.list("inputs of \(spec.name)", valid, orElse: "\(spec.name) takes no inputs")))
            }
        }
        return out
    }
}
