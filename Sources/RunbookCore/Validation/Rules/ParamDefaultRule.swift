import Foundation

/// A default must satisfy its own declaration (type, allowed values, pattern):
/// otherwise the runbook fails only when someone relies on the default, mid-incident.
public struct ParamDefaultRule: Rule {
    public let name = RuleID.paramDefault
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        runbook.params.compactMap { decl in
            guard let def = decl.defaultValue, !def.isNull else { return nil }
            guard case .failure(let e) = ParamBinder.coerce(def, to: decl) else { return nil }
            let at = Self.offendingItem(def, decl) ?? def
            var notes: [String] = []
            if !decl.allowed.isEmpty { notes.append("allowed values: " + decl.allowed.joined(separator: ", ")) }
            return .error(name, "default of param \(Notes.quote(decl.name)) (\(decl.type)) is invalid: \(e.message)",
                          at: Notes.valueLocation(at), length: Notes.length(at), notes: notes)
        }
    }

    /// For a list default, the first item that fails on its own, so the caret lands on it.
    static func offendingItem(_ node: YNode, _ decl: ParamDecl) -> YNode? {
        guard case .list(let inner) = decl.type, let items = node.sequence else { return nil }
        var single = decl
        single.type = inner
        return items.first { item in
            if case .failure = ParamBinder.coerce(item, to: single) { return true }
            return false
        }
    }
}
