import Foundation

/// Input values that do not fit the declared type: literals fully, templates by shape.
public struct InputTypeRule: Rule {
    public let name = RuleID.inputType
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (site, spec) in context.facts(for: runbook).knownCalls {
            for pair in site.call.inputs {
                guard let input = spec.input(pair.key) else { continue }
                for p in LiteralCheck.problems(pair.value, input.type, runbook: runbook) {
                    out.append(.error(name, "input \(Notes.quote(pair.key)) of \(spec.name) must be \(p.expectation)",
                                      at: Notes.valueLocation(p.node), length: Notes.length(p.node), notes: p.notes))
                }
            }
        }
        return out
    }
}
