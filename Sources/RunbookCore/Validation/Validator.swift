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
        ExpressionRule(),
        UndefinedReferenceRule(),
        SecretInTextRule(),
        ShellInterpolationRule(),
        UndeclaredTargetRule(),
        MissingTargetRule(),
        UnknownRunbookRule(),
        RunbookCycleRule(),
        RunbookParamsRule(),
        ParamDefaultRule(),
        WhenRule(),
        ForEachRule(),
        ParallelRule(),
        RTOStepRule(),
    ]

    public static func validate(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var context = context
        context.cachedFacts = RunbookFacts(runbook, in: context)
        return rules.flatMap { $0.check(runbook, in: context) }
    }

    /// Checks a loaded profile beyond its structure: its name must equal its file name,
    /// so `--profile NAME` finds the file people read.
    public static func validate(profile: Profile) -> [Diagnostic] {
        let fileName = NameMismatchRule.baseName(profile.path)
        guard !profile.name.isEmpty, profile.name != fileName else { return [] }
        return [.error("name-mismatch", "profile is named \(Notes.quote(profile.name)) but its file is \(Notes.quote(fileName + ".yaml")); the name must equal the file name",
                       at: profile.nameLocation, length: profile.name.count,
                       notes: ["rename the file or set profile: \(fileName)"])]
    }
}
