import Foundation

/// The profile check that needs the params: a target that only steps with `when:` use
/// (`ConditionalTargets`) must be in the profile when one of those steps will run with the
/// bound params. `restore-clean --param manage_stack=false` then runs with a profile that
/// has no compose project, and with `manage_stack=true` the same profile is refused before
/// the first step, not at the compose step after the database was dropped.
public enum RunTargetCheck {
    public static let rule = RuleID.missingTarget

    /// One diagnostic per target that a step this run takes needs and the profile lacks.
    /// A `when:` that cannot be decided before the run (it reads a step's output) counts as
    /// taken.
    public static func check(_ runbook: Runbook, params: [String: Value], profile: Profile?, catalog: ActionCatalog) -> [Diagnostic] {
        guard let profile else { return [] }
        let uses = RuleContext(catalog: catalog, profile: profile).facts(for: runbook).targetUses
        let conditional = ConditionalTargets.names(runbook, uses: uses)
        let evaluator = Evaluator(scope: Scope(params: params, secretNames: [], runID: "<run-id>", startedAt: Date(),
                                               stateDir: "", placeholdersForMissingOutputs: true))
        var reported: Set<String> = []
        var out: [Diagnostic] = []
        for use in uses where conditional.contains(use.name) && profile.target(use.name) == nil {
            guard let when = use.owner.step.when, (try? evaluator.condition(when)) ?? true,
                  reported.insert(use.name).inserted else { continue }
            let switches = when.text.contains("${params.") ? "; set the params so that it does not hold, or add the target to \(profile.path)" : ""
            out.append(.error(rule, "profile \(Notes.quote(profile.name)) has no target \(Notes.quote(use.name)), which step \(Notes.quote(use.owner.step.id)) uses: its when: \(when.text) holds with these params\(switches)",
                              at: Notes.valueLocation(use.node), length: Notes.length(use.node),
                              notes: Notes.list("targets in \(profile.path)", profile.targets.map(\.name), orElse: "\(profile.path) defines no targets")))
        }
        return out
    }
}
