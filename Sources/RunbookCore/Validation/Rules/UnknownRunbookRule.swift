import Foundation

/// `runbook.run` must name a runbook of the same directory.
public struct UnknownRunbookRule: Rule {
    public let name = RuleID.unknownRunbook
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        let calls = context.facts(for: runbook).runbookRunCalls.filter { context.runbooks[$0.target] == nil && $0.target != runbook.name }
        guard !calls.isEmpty else { return [] }
        let known = Set(context.runbooks.keys).union([runbook.name]).filter { !$0.isEmpty }.sorted()
        return calls.map { call in
            .error(name, "no runbook \(Notes.quote(call.target)) in this directory\(Suggestions.didYouMean(call.target, in: known))",
                          at: Notes.valueLocation(call.node), length: Notes.length(call.node),
                          notes: Notes.list("runbooks", known))
        }
    }
}
