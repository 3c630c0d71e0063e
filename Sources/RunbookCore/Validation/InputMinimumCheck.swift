import Foundation

/// The params half of `InputMinimumRule`: an input with a minimum that is exactly
/// `${params.NAME}` must get at least that from the bound params (`--param`), or the run is
/// refused before its first step and `plan` shows nothing. `base-backup --param keep_offsite=0`
/// used to fail at the retention step, after the new base backup was pushed.
/// Calls in runbooks reached through `runbook.run` are checked by their action when the call runs.
public enum InputMinimumCheck {
    public static let rule = RuleID.inputMinimum

    /// One diagnostic per input that a param's bound value puts below its minimum, at the input
    /// in the runbook. A step skipped by its `when:` is checked too: the value is wrong either way.
    public static func check(_ runbook: Runbook, params: [String: Value], catalog: ActionCatalog) -> [Diagnostic] {
        let facts = RuleContext(catalog: catalog).facts(for: runbook)
        return InputMinimumRule.uses(facts).compactMap { use in
            guard let param = use.param, let value = params[param], case .int(let got) = value, got < use.minimum else { return nil }
            return .error(rule, "input \(Notes.quote(use.input)) of \(use.action) (step \(Notes.quote(use.step))) must be at least \(use.minimum), got \(got) from param \(Notes.quote(param))",
                          at: Notes.valueLocation(use.node), length: Notes.length(use.node))
        }
    }
}
