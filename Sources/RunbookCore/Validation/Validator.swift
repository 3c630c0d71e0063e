import Foundation

/// Runs every rule over a runbook. The list is explicit: adding a rule means adding a line here.
public enum Validator {
    public static let rules: [any Rule] = [
    ]

    public static func validate(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        rules.flatMap { $0.check(runbook, in: context) }
    }
}
