import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

/// `runbook.run` as the planner expands it: the called runbook's own plan, with the values the call passes.
final class RunbookRunTests: XCTestCase {
    func runbook(_ yaml: String, path: String) throws -> Runbook {
        let loaded = RunbookLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: path))
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.runbook)
    }

    func plan(_ parent: Runbook, _ others: [Runbook]) -> RunPlan {
        let graph = RunbookGraph(root: parent, available: Dictionary(uniqueKeysWithValues: others.map { ($0.name, $0) }))
        let (params, _) = ParamBinder.bind(parent, given: [:])
        return Planner(catalog: Registry.catalog, profile: nil, stateDir: "/tmp", graph: graph).plan(parent, params: params, runID: "r")
    }

    func rendered(_ ops: [PlannedOperation]) -> [String] {
        ops.map { op in
            switch op {
            case .builtin(let text): return text
            case .command(let cmd):
                // The values travel in the environment, beside the text (see ShellText).
                return "$ " + cmd.displayString + cmd.environment.keys.sorted().map { name -> String in
                    if case .literal(let value) = cmd.environment[name]! { return " \(name)=\(value)" }
                    return " \(name)=<secret>"
                }.joined()
            }
        }
    }

    func testPlanExpandsTheChildRunbookWithTheValuesTheCallPasses() throws {
        let child = try runbook("""
        runbook: child
        summary: c
        params: {dbs: {type: "list<string>", required: true}, dir: {type: path, default: /backups}}
        steps:
          - {id: announce, manual: ["Tell #ops"]}
          - id: dump
            action: shell.run
            for_each: ${params.dbs}
            as: db
            with: {command: "echo ${db} > ${params.dir}/x"}
        """, path: "child.yaml")
        let parent = try runbook("""
        runbook: parent
        summary: p
        steps:
          - id: backup
            action: runbook.run
            with: {runbook: child, params: {dbs: [a, "b,c"]}}
        """, path: "parent.yaml")
        let step = try XCTUnwrap(plan(parent, [child]).steps.first)
        XCTAssertEqual(step.problems, [])
        let childPlan = try XCTUnwrap(step.iterations.first?.child)
        XCTAssertEqual(childPlan.runbook, "child")
        XCTAssertEqual(childPlan.params.first { $0.name == "dbs" }?.value, .list([.string("a"), .string("b,c")]),
                       "a list item holding a comma stays one item")
        XCTAssertEqual(childPlan.steps.map(\.manual), [["Tell #ops"], []])
        let dump = childPlan.steps[1]
        XCTAssertEqual(dump.iterations.map { $0.loopBinding?.value }, ["a", "b,c"])
        XCTAssertEqual(dump.iterations.flatMap { rendered($0.operations) },
                       [#"$ /bin/sh -c 'echo "$RB_DB" > "$RB_PARAM_DIR"/x' RB_DB=a RB_PARAM_DIR=/backups"#,
                        #"$ /bin/sh -c 'echo "$RB_DB" > "$RB_PARAM_DIR"/x' RB_DB=b,c RB_PARAM_DIR=/backups"#])
    }

    func testPlanReportsUnknownRunbookAndBadParams() throws {
        let child = try runbook("""
        runbook: child
        summary: c
        params: {n: {type: int, required: true}}
        steps: [{id: s, action: shell.run, with: {command: "true"}}]
        """, path: "child.yaml")
        let parent = try runbook("""
        runbook: parent
        summary: p
        params: {name: {type: string, default: chlid}, n: {type: string, default: many}}
        steps:
          - {id: unknown, action: runbook.run, with: {runbook: "${params.name}"}}
          - {id: bad, action: runbook.run, with: {runbook: child, params: {n: "${params.n}"}}}
        """, path: "parent.yaml")
        let steps = plan(parent, [child]).steps
        XCTAssertTrue(steps[0].problems.joined().contains("did you mean \"child\""), "\(steps[0].problems)")
        XCTAssertTrue(steps[1].problems.joined().contains("not an integer"), "\(steps[1].problems)")
    }

    func testPlanStopsAtACycle() throws {
        let loop = try runbook("""
        runbook: loop
        summary: calls itself
        steps: [{id: again, action: runbook.run, with: {runbook: loop}}]
        """, path: "loop.yaml")
        let step = try XCTUnwrap(plan(loop, []).steps.first)
        XCTAssertTrue(step.problems.joined().contains("runbook.run cycle: loop -> loop"), "\(step.problems)")
    }
}
