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
        let evaluator = paramsEvaluator(params)
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

    /// For a runbook called by `runbook.run`: the targets it requires that `profile` lacks and
    /// that a step of this call will use. A target only `when:` steps use counts only when one
    /// of their conditions holds with `params`, as for a top-level run: `media-restore` with
    /// `source=local` runs on a profile without the `offsite` repository.
    public static func missingTargets(_ runbook: Runbook, params: [String: Value], profile: Profile?, catalog: ActionCatalog) -> [String] {
        let missing = runbook.requires.map(\.name).filter { profile?.target($0) == nil }
        guard let profile, !missing.isEmpty else { return missing }
        let uses = RuleContext(catalog: catalog, profile: profile).facts(for: runbook).targetUses
        let conditional = ConditionalTargets.names(runbook, uses: uses)
        let evaluator = paramsEvaluator(params)
        return missing.filter { name in
            guard conditional.contains(name) else { return true }
            return uses.contains { use in
                guard use.name == name else { return false }
                guard let when = use.owner.step.when else { return true }
                return (try? evaluator.condition(when)) ?? true
            }
        }
    }

    /// Evaluates conditions on params; a step output is a placeholder, so a condition on one counts as holding.
    private static func paramsEvaluator(_ params: [String: Value]) -> Evaluator {
        Evaluator(scope: Scope(params: params, secretNames: [], runID: "<run-id>", startedAt: Date(),
                               stateDir: "", placeholdersForMissingOutputs: true))
    }
}
