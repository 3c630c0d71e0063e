import Foundation

/// Runs every rule over a runbook. The list is explicit: adding a rule means adding a line here.
public enum Validator {
    public static let rules: [any Rule] = [
        NameMismatchRule(),
        InvalidStepIDRule(),
        DuplicateStepIDRule(),
        UnknownActionRule(),
        UnknownInputRule(),
        MissingInputRule(),
        InputTypeRule(),
        InputMinimumRule(),
        ExpressionRule(),
        UndefinedReferenceRule(),
        SecretInTextRule(),
        ShellInterpolationRule(),
        UndeclaredTargetRule(),
        MissingTargetRule(),
        UnknownRunbookRule(),
        RunbookCycleRule(),
        RunbookParamsRule(),
        RunbookOutputsRule(),
        ParamDefaultRule(),
        WhenRule(),
        ForEachRule(),
        TargetGroupRule(),
        ParallelRule(),
        RTOStepRule(),
    ]

    public static func validate(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var context = context
        context.cachedFacts = RunbookFacts(runbook, in: context)
        return rules.flatMap { $0.check(runbook, in: context) }
    }

    /// Validates every member of a call graph, each against the others: a run reaches all of
    /// them, so an error in any one of them stops the run before its first step.
    public static func validate(_ graph: RunbookGraph, catalog: ActionCatalog, profile: Profile?) -> [Diagnostic] {
        var members: [String: Runbook] = graph.callees
        members[graph.root.name] = graph.root
        let context = RuleContext(catalog: catalog, runbooks: members, profile: profile)
        // Callees are checked without the profile: a call may be skipped (`when:`) with a profile
        // that lacks the callee's targets (backup with media=false and no media target); the
        // plan shows a call it cannot bind, and the call fails before the child's first step (NestedRunner).
        // A callee is found by its name, whatever its file is called (`validate` of the
        // directory still reports the mismatch); the root is what was named on the command line.
        var calleeContext = context
        calleeContext.profile = nil
        return validate(graph.root, in: context) + graph.callees.keys.sorted().flatMap { name in
            validate(graph.callees[name]!, in: calleeContext).filter { $0.rule != RuleID.nameMismatch.rawValue }
        }
    }

    /// Checks a loaded profile beyond its structure: its name must equal its file name,
    /// so `--profile NAME` finds the file people read.
    public static func validate(profile: Profile) -> [Diagnostic] {
        let fileName = NameMismatchRule.baseName(profile.path)
        guard !profile.name.isEmpty, profile.name != fileName else { return [] }
        return [.error(.nameMismatch, "profile is named \(Notes.quote(profile.name)) but its file is \(Notes.quote(fileName + ".yaml")); the name must equal the file name",
                       at: profile.nameLocation, length: profile.name.count,
                       notes: ["rename the file or set profile: \(fileName)"])]
    }
}
