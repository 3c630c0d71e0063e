import Foundation

/// Every target a step uses must be listed in `requires:`, so a reader (and
/// `--profile` checking) sees all the endpoints a runbook touches in one place.
public struct UndeclaredTargetRule: Rule {
    public let name = RuleID.undeclaredTarget
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        let declared = runbook.requires.map(\.name)
        return context.facts(for: runbook).targetUses.compactMap { use in
            guard !declared.contains(use.name) else { return nil }
            return .error(name, "target \(Notes.quote(use.name)) is not listed in requires:\(Suggestions.didYouMean(use.name, in: declared))",
                          at: Notes.valueLocation(use.node), length: Notes.length(use.node),
                          notes: Notes.list("requires", declared, orElse: "add requires: [\(use.name)] to the runbook"))
        }
    }
}
