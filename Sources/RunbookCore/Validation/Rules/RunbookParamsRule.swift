import Foundation

/// `runbook.run` params must be params the called runbook declares, and must
/// include its required params that have no default.
public struct RunbookParamsRule: Rule {
    public let name = RuleID.runbookParams
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for call in context.facts(for: runbook).runbookRunCalls {
            guard let callee = call.target == runbook.name ? runbook : context.runbooks[call.target] else { continue }
            let declared = callee.params.map(\.name)
            let given = call.site.call.input(RunbookRunInputs.params)
            let pairs = given?.mapping ?? []
            if let given, !given.isNull, given.mapping == nil { continue }  // input-type reports the shape
            for pair in pairs where callee.param(pair.key) == nil {
                out.append(.error(name, "runbook \(Notes.quote(callee.name)) has no param \(Notes.quote(pair.key))\(Suggestions.didYouMean(pair.key, in: declared))",
                                  at: pair.keyLocation, length: pair.key.count,
                                  notes: Notes.list("params of \(callee.name)", declared, orElse: "\(callee.name) declares no params")))
            }
            for decl in callee.params where decl.required && decl.defaultValue == nil && !pairs.contains(where: { $0.key == decl.name }) {
                out.append(.error(name, "runbook \(Notes.quote(callee.name)) needs param \(Notes.quote(decl.name)) (\(decl.type))",
                                  at: given.map { $0.location } ?? call.site.call.nameLocation, length: given == nil ? call.site.call.name.count : 1,
                                  notes: ["pass it as params: {\(decl.name): ...}"]))
            }
        }
        return out
    }
}
