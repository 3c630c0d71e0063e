import Foundation

/// With a profile selected, every required target must exist in it, with the kind
/// the steps need (a compose project cannot stand in for a PostgreSQL server).
/// A target that only steps with `when:` use may be missing: whether the run needs it
/// depends on the params, which `RunTargetCheck` checks once they are bound.
public struct MissingTargetRule: Rule {
    public let name = RuleID.missingTarget
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        guard let profile = context.profile else { return [] }
        let available = profile.targets.map(\.name)
        var out: [Diagnostic] = []
        let facts = context.facts(for: runbook)
        let conditional = ConditionalTargets.names(runbook, uses: facts.targetUses)
        for required in runbook.requires where profile.target(required.name) == nil && !conditional.contains(required.name) {
            out.append(.error(name, "profile \(Notes.quote(profile.name)) has no target \(Notes.quote(required.name))\(Suggestions.didYouMean(required.name, in: available))",
                              at: required.location, length: required.name.count,
                              notes: Notes.list("targets in \(profile.path)", available, orElse: "\(profile.path) defines no targets")))
        }
        for use in facts.targetUses {
            guard let decl = profile.target(use.name), decl.binding.kind != use.kind else { continue }
            let sameKind = profile.targets.filter { $0.binding.kind == use.kind }.map(\.name)
            out.append(.error(name, "target \(Notes.quote(use.name)) is a \(decl.binding.kind.rawValue) target in profile \(Notes.quote(profile.name)); \(use.action) needs a \(use.kind.rawValue) target",
                              at: Notes.valueLocation(use.node), length: Notes.length(use.node),
                              notes: Notes.list("\(use.kind.rawValue) targets in \(profile.path)", sameKind)))
        }
        return out
    }
}
