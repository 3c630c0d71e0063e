import Foundation

/// `runbook.run` must name a runbook of the same directory.
public struct UnknownRunbookRule: Rule {
    public let name = "unknown-runbook"
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        let known = Set(context.runbooks.keys).union([runbook.name]).filter { !$0.isEmpty }.sorted()
        return runbook.runbookRunCalls.compactMap { call in
            guard !known.contains(call.target) else { return nil }
            return .error(name, "no runbook \(Notes.quote(call.target)) in this directory\(Suggestions.didYouMean(call.target, in: known))",
                          at: Notes.valueLocation(call.node), length: Notes.length(call.node),
                          notes: Notes.list("runbooks", known))
        }
    }
}
