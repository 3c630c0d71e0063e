import Foundation

/// `${targets.NAME.members}` names a group the runbook lists in `requires:` and, with a
/// profile selected, a group target of that profile: a loop over a group that is not there
/// is refused before anything runs, not at the loop.
public struct TargetGroupRule: Rule {
    public let name = RuleID.targetGroup
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        let required = runbook.requires.map(\.name)
        let groups = context.profile?.groupMembers.keys.sorted()
        var out: [Diagnostic] = []
        for site in context.facts(for: runbook).templateSites {
            for r in site.references {
                guard case .groupMembers(let group) = r.reference else { continue }
                if !required.contains(group) {
                    out.append(.error(name, "group \(Notes.quote(group)) is not listed in requires:\(Suggestions.didYouMean(group, in: required))",
                                      at: r.location, length: r.length,
                                      notes: Notes.list("requires", required, orElse: "this runbook requires no targets")))
                } else if let profile = context.profile, let groups, !groups.contains(group) {
                    let what = profile.target(group).map { "target \(Notes.quote(group)) is a \($0.binding.kind.rawValue) target, not a group" }
                        ?? "profile \(Notes.quote(profile.name)) has no group \(Notes.quote(group))\(Suggestions.didYouMean(group, in: groups))"
                    out.append(.error(name, "\(what) in \(profile.path)", at: r.location, length: r.length,
                                      notes: Notes.list("groups in \(profile.path)", groups, orElse: "\(profile.path) defines no group")))
                }
            }
        }
        return out
    }
}
