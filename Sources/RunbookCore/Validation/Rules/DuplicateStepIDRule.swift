import Foundation

/// Step ids name outputs, journal entries and audit events, so they must be unique
/// across `steps:` and `on_failure:`.
public struct DuplicateStepIDRule: Rule {
    public let name = RuleID.duplicateStepID
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var first: [String: SourceLocation] = [:]
        var out: [Diagnostic] = []
        for ref in context.facts(for: runbook).stepRefs where !ref.step.id.isEmpty {
            let step = ref.step
            if let earlier = first[step.id] {
                out.append(.error(name, "duplicate step id \(Notes.quote(step.id))", at: step.idLocation, length: step.id.count,
                                  notes: ["first defined at \(earlier)"]))
            } else {
                first[step.id] = step.idLocation
            }
        }
        return out
    }
}
