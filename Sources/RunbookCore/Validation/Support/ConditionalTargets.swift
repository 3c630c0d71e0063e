import Foundation

/// Targets that only steps with a `when:` use, such as the compose `stack` of a runbook
/// whose compose steps run `when: ${params.manage_stack}`. A profile without such a target
/// is still a good profile for the runs that skip those steps, so validation leaves them to
/// `RunTargetCheck`, which knows the params.
enum ConditionalTargets {
    /// Required names whose every literal use sits in a step with `when:`. A required name
    /// no step names literally (used through `${...}` or by a called runbook) is not
    /// conditional: nothing shows which runs could do without it.
    static func names(_ runbook: Runbook, uses: [TargetUse]) -> Set<String> {
        var out: Set<String> = []
        for required in runbook.requires {
            let named = uses.filter { $0.name == required.name }
            if !named.isEmpty && named.allSatisfy({ $0.owner.step.when != nil }) { out.insert(required.name) }
        }
        return out
    }
}
