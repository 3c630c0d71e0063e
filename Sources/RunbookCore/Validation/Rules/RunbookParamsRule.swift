import Foundation

/// `runbook.run` params must be params the called runbook declares, of the types it declares,
/// and must include its required params that have no default.
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
            for pair in pairs {
                guard let decl = callee.param(pair.key), let problem = Self.typeProblem(pair.value, decl, caller: runbook) else { continue }
                out.append(.error(name, "param \(Notes.quote(pair.key)) of runbook \(Notes.quote(callee.name)) is \(decl.type): \(problem)",
                                  at: Notes.valueLocation(pair.value), length: Notes.length(pair.value)))
            }
            for decl in callee.params where decl.required && decl.defaultValue == nil && !pairs.contains(where: { $0.key == decl.name }) {
                out.append(.error(name, "runbook \(Notes.quote(callee.name)) needs param \(Notes.quote(decl.name)) (\(decl.type))",
                                  at: given.map { $0.location } ?? call.site.call.nameLocation, length: given == nil ? call.site.call.name.count : 1,
                                  notes: ["pass it as params: {\(decl.name): ...}"]))
            }
        }
        return out
    }

    /// Why `node` cannot be a value of `decl`'s type: literals are checked fully, a single
    /// `${params.X}` by whether a list meets a single value; other references at run time.
    static func typeProblem(_ node: YNode, _ decl: ParamDecl, caller: Runbook) -> String? {
        if node.isNull { return nil }
        if let text = node.scalar, text.utf8.containsReferenceStart {
            guard case .success(let template) = Template.parse(text), case .param(let name)? = template.singleReference,
                  let given = caller.param(name), given.type.isList != decl.type.isList else { return nil }
            return "${params.\(name)} is \(given.type)"
        }
        if Self.containsReference(node) { return nil }
        switch (decl.type.isList, node.kind) {
        case (true, .scalar): return "got a single value; write a YAML list, e.g. [\(node.scalar ?? "")]"
        case (false, .sequence): return "got a list"
        case (_, .mapping): return "got a mapping"
        default: break
        }
        if case .failure(let e) = ParamBinder.coerce(node, to: decl) { return e.message }
        return nil
    }

    private static func containsReference(_ node: YNode) -> Bool {
        switch node.kind {
        case .scalar(let text, _): return text.utf8.containsReferenceStart
        case .sequence(let items): return items.contains(where: containsReference)
        case .mapping(let pairs): return pairs.contains { containsReference($0.value) }
        }
    }
}
