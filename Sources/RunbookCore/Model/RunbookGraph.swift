import Foundation

/// A runbook and every runbook it can reach through `runbook.run`: in its steps, loops,
/// `rollback:`, `require:`/`verify:` and `on_failure:`, transitively, each loaded once.
///
/// This is what one run can execute, so it is what `validate`, `plan`, `run`, `resume` and
/// `docs` all look at: every member is validated before anything runs (cycles among them are
/// reported by `RunbookCycleRule`, along `shortestPath`), the plan digest covers every member's
/// bytes, and the planner expands calls into members' plans.
public struct RunbookGraph: Sendable {
    public let root: Runbook
    /// Every runbook reachable from `root` (root excluded), by name.
    public let callees: [String: Runbook]

    /// Builds the graph by following the calls of `root`.
    /// - Parameters:
    ///   - find: the runbook a literal name calls, if there is one.
    ///   - everything: every runbook a computed name (`runbook: ${...}`) might name;
    ///     asked only when some member computes a name.
    public init(root: Runbook, find: (String) -> Runbook?, everything: () -> [Runbook] = { [] }) {
        var found: [String: Runbook] = [:]
        var pending = [root]
        var all: [String: Runbook]?
        func fromEverything(_ name: String) -> Runbook? {
            if all == nil { all = Dictionary(everything().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) }
            return all?[name]
        }
        while let runbook = pending.popLast() {
            var names = runbook.runbookRunTargets
            if runbook.callsRunbookByComputedName {
                _ = fromEverything(root.name)
                names += (all ?? [:]).keys.sorted()
            }
            for name in names where name != root.name && found[name] == nil {
                guard let callee = find(name) ?? fromEverything(name) else { continue }
                found[name] = callee
                pending.append(callee)
            }
        }
        self.root = root
        self.callees = found
    }

    /// The graph over runbooks already in memory (tests, embedding).
    public init(root: Runbook, available: [String: Runbook]) {
        self.init(root: root, find: { available[$0] }, everything: { Array(available.values) })
    }

    /// The root, then every callee by name.
    public var members: [Runbook] { [root] + callees.keys.sorted().compactMap { callees[$0] } }

    /// The member called `name`.
    public func runbook(named name: String) -> Runbook? { name == root.name ? root : callees[name] }

    /// sha256 of each member's bytes, by name: what a plan digest covers.
    public var digests: [String: String] {
        var out = [root.name: root.digest]
        for (name, runbook) in callees { out[name] = runbook.digest }
        return out
    }

    /// Every member's name, sorted.
    public var names: [String] { members.map(\.name).sorted() }

    /// Shortest chain of runbook names from `start` to `goal` (both included) along `edges`
    /// (the runbooks each one calls), breadth first: how a cycle is found and reported.
    public static func shortestPath(from start: String, to goal: String, edges: (String) -> [String]) -> [String]? {
        if start == goal { return [start] }
        var previous: [String: String] = [start: start]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in edges(node) where previous[next] == nil {
                previous[next] = node
                if next == goal {
                    var chain = [goal]
                    var cursor = node
                    while cursor != start { chain.append(cursor); cursor = previous[cursor] ?? start }
                    chain.append(start)
                    return chain.reversed()
                }
                queue.append(next)
            }
        }
        return nil
    }
}
