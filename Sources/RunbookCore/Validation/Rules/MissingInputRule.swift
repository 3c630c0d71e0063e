import Foundation

/// Required inputs (without a default) that a call leaves out or sets to null.
public struct MissingInputRule: Rule {
    public let name = RuleID.missingInput
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (site, spec) in context.facts(for: runbook).knownCalls {
            let required = spec.inputs.filter { $0.required && $0.defaultValue == nil }
            for input in required {
                let given = site.call.input(input.name)
                guard given == nil || given?.isNull == true else { continue }
                out.append(.error(name, "\(spec.name) needs input \(Notes.quote(input.name)) (\(input.type)): \(input.summary)",
                                  at: given?.location ?? site.call.nameLocation,
                                  length: given == nil ? site.call.name.count : 1,
                                  notes: Notes.list("required inputs of \(spec.name)", required.map(\.name))))
            }
        }
        return out
    }
}
