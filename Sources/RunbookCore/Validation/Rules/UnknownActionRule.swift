import Foundation

/// Every `action:` and `check:` must name something the binary knows, in the right role:
/// a check under `require:`/`verify:`; an action or a check under `action:` (a step whose
/// whole job is a check, whose outputs later steps use) and an action under `rollback:`.
public struct UnknownActionRule: Rule {
    public let name = RuleID.unknownAction
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        context.facts(for: runbook).callSites.compactMap { site in
            let call = site.call
            let wanted = site.role.expectedRole
            if let spec = context.spec(call.name), spec.role == wanted { return nil }
            if site.role == .action, context.spec(call.name)?.role == .check { return nil }
            let valid = context.catalog.names(role: wanted).sorted()
            let kind = wanted == .check ? "check" : "action"
            if context.spec(call.name) != nil {
                let hint = wanted == .check
                    ? "\(Notes.quote(call.name)) is an action, not a check; checks go under require: and verify:, actions under action: and rollback:"
                    : "\(Notes.quote(call.name)) is a check, not an action; use it under require: or verify:"
                return .error(name, hint, at: call.nameLocation, length: call.name.count,
                              notes: Notes.list("valid \(kind)s", valid))
            }
            return .error(name, "unknown \(kind) \(Notes.quote(call.name))\(Suggestions.didYouMean(call.name, in: valid))",
                          at: call.nameLocation, length: max(1, call.name.count),
                          notes: Notes.list("valid \(kind)s", valid, orElse: "this binary knows no \(kind)s"))
        }
    }
}
