import Foundation

/// `for_each` takes a literal list, or exactly one reference to a list param or a
/// step output; `as` names the loop variable and needs `for_each`.
public struct ForEachRule: Rule {
    public let name = RuleID.forEach
    public init() {}

    static let reserved = ["params", "secrets", "steps", "run"]

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for ref in context.facts(for: runbook).stepRefs {
            let step = ref.step
            if let node = step.forEach, let problem = Self.problem(node, runbook) {
                out.append(.error(name, "for_each must be a list or a single reference to a list param or step output; \(problem)",
                                  at: Notes.valueLocation(node), length: Notes.length(node),
                                  notes: ["examples: for_each: [a, b]  or  for_each: \"${params.databases}\" (type: list<identifier>)"]))
            }
            if let variable = step.loopVariable {
                let at = step.keyLocations["as"] ?? step.location
                if step.forEach == nil {
                    out.append(.error(name, "step \(Notes.quote(step.id)) has as: \(Notes.quote(variable)) but no for_each", at: at, length: 2))
                } else if Self.reserved.contains(variable) || !Self.isName(variable) {
                    out.append(.error(name, "loop variable name \(Notes.quote(variable)) is not usable; use letters, digits, _ and -, and not \(Self.reserved.joined(separator: ", "))",
                                      at: at, length: 2))
                }
            }
        }
        return out
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    static func problem(_ node: YNode, _ runbook: Runbook) -> String? {
        switch node.kind {
        case .sequence: return nil
        case .mapping: return "got a mapping"
        case .scalar(let text, _):
            if node.isNull { return "got null" }
            guard text.utf8.containsReferenceStart else { return "got \(Notes.quote(text))" }
            guard case .success(let template) = Template.parse(text) else { return nil }  // [expression] reports it
            guard let ref = template.singleReference else { return "got text \(Notes.quote(text))" }
            switch ref {
            case .param(let name):
                guard let decl = runbook.param(name) else { return nil }  // [undefined-reference] reports it
                return decl.type.isList ? nil : "params.\(name) has type \(decl.type), not a list"
            case .stepOutput, .groupMembers:
                return nil
            case .secret, .run, .loop:
                return "got \(Notes.quote(text))"
            }
        }
    }
}
