import Foundation
import RunbookCore
import XCTest

/// The call graph reaches a runbook wherever a `runbook.run` names it, loads each once,
/// and is what the plan digest covers.
final class RunbookGraphTests: XCTestCase {
    func runbook(_ yaml: String) throws -> Runbook {
        let loaded = RunbookLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: "x.yaml"))
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.runbook)
    }

    func leaf(_ name: String, calls: String? = nil) throws -> Runbook {
        try runbook("""
        runbook: \(name)
        summary: s
        steps: [{id: s, action: \(calls == nil ? "shell.run" : "runbook.run"), with: {\(calls.map { "runbook: \($0)" } ?? "command: \"true\"")}}]
        """)
    }

    func testEveryPlaceACallCanBeIsFollowedEachRunbookOnce() throws {
        let root = try runbook("""
        runbook: root
        summary: s
        steps:
          - id: main
            action: runbook.run
            with: {runbook: by-step}
            rollback: {action: runbook.run, with: {runbook: by-rollback}}
            require: [{check: runbook.run, runbook: by-require}]
            verify: [{check: runbook.run, runbook: by-verify}]
          - id: loop
            for_each: [a, b]
            as: item
            action: runbook.run
            with: {runbook: by-step}
        on_failure:
          - {id: notify, action: runbook.run, with: {runbook: by-on-failure}}
        """)
        var asked: [String: Int] = [:]
        let available = try ["by-step", "by-rollback", "by-require", "by-verify", "by-on-failure", "unused"].map { try leaf($0) }
            + [try leaf("nested-caller", calls: "nested")] + [try leaf("nested", calls: "root")]
        var byName = Dictionary(uniqueKeysWithValues: available.map { ($0.name, $0) })
        byName["by-step"] = try leaf("by-step", calls: "nested-caller")
        let graph = RunbookGraph(root: root, find: { name in
            asked[name, default: 0] += 1
            return byName[name]
        })
        XCTAssertEqual(graph.names, ["by-on-failure", "by-require", "by-rollback", "by-step", "by-verify", "nested", "nested-caller", "root"])
        XCTAssertEqual(asked.values.max(), 1, "each runbook is looked up once: \(asked)")
        XCTAssertNil(asked["root"], "a call back to the root is the root itself (a cycle, reported by validation)")
        XCTAssertEqual(Set(graph.digests.keys), Set(graph.names))
    }

    func testRollbackOnlyChildChangesThePlanDigest() throws {
        let root = try runbook("""
        runbook: root
        summary: s
        steps:
          - {id: s, action: shell.run, with: {command: "true"}, rollback: {action: runbook.run, with: {runbook: undo}}}
        """)
        let undo1 = try leaf("undo")
        var undo2 = undo1
        undo2.digest = "changed"
        let before = PlanDigest.compute(graph: RunbookGraph(root: root, available: ["undo": undo1]), params: [:], profile: nil)
        let after = PlanDigest.compute(graph: RunbookGraph(root: root, available: ["undo": undo2]), params: [:], profile: nil)
        XCTAssertNotEqual(before, after)
    }
}
