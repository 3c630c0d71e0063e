import Foundation

/// `runbook.run` chains that lead back to the runbook itself would recurse forever.
/// Each runbook on a cycle reports it, at its own call that starts the loop.
public struct RunbookCycleRule: Rule {
    public let name = RuleID.runbookCycle
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        let calls = context.facts(for: runbook).runbookRunCalls
        guard !runbook.name.isEmpty, !calls.isEmpty else { return [] }
        // This runbook's own calls win over the directory's copy (it may be a newer file).
        let own = calls.map(\.target)
        let edges: (String) -> [String] = { $0 == runbook.name ? own : context.runbookCalls[$0] ?? [] }
        var out: [Diagnostic] = []
        var reported: Set<String> = []
        for call in calls where !reported.contains(call.target) {
            guard let path = RunbookGraph.shortestPath(from: call.target, to: runbook.name, edges: edges) else { continue }
            reported.insert(call.target)
            let cycle = ([runbook.name] + path).joined(separator: " -> ")
            out.append(.error(name, "runbook.run cycle: \(cycle)", at: Notes.valueLocation(call.node), length: Notes.length(call.node),
                              notes: ["a runbook cannot run itself, directly or through others"]))
        }
        return out
    }
}
