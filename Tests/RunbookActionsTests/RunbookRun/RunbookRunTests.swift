import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

final class RunbookRunTests: XCTestCase {
    func runbook(_ yaml: String, path: String) throws -> Runbook {
        let loaded = RunbookLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: path))
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.runbook)
    }

    func testPlanExpandsTheChildRunbookWithItsParams() throws {
        let child = try runbook("""
        runbook: child
        summary: c
        params: {dbs: {type: "list<identifier>", required: true}, dir: {type: path, default: /backups}}
        steps:
          - {id: announce, manual: ["Tell #ops"]}
          - id: dump
            action: shell.run
            for_each: ${params.dbs}
            as: db
            with: {command: "echo ${db} > ${params.dir}/${db}"}
          - {id: never, action: shell.run, with: {command: "true"}, when: "${params.dir} == /nowhere"}
        """, path: "child.yaml")
        var context = PlanContext(profile: nil, runID: "r", stateDir: "/tmp")
        context.runbooks = ["child": child]
        let call = ResolvedCall(spec: RunbookRun().spec, stepID: "backup",
                                inputs: ["runbook": .string("child"), "params": .map(["dbs": .list([.string("a"), .string("b")])])])
        let ops = try RunbookRun().plan(call, in: context)
        let rendered = ops.map { op -> String in
            switch op {
            case .builtin(let text): return text
            case .command(let cmd):
                // The values travel in the environment, beside the text (see ShellText).
                return "$ " + cmd.displayString + " " + cmd.environment.keys.sorted().map { name -> String in
                    if case .literal(let value) = cmd.environment[name]! { return "\(name)=\(value)" }
                    return "\(name)=<secret>"
                }.joined(separator: " ")
            }
        }
        XCTAssertEqual(rendered, [
            "run runbook child with dbs=a,b",
            "backup/announce: manual: Tell #ops",
            "backup/dump[a]: shell.run",
            #"$ /bin/sh -c 'echo "$RB_DB" > "$RB_PARAM_DIR"/"$RB_DB"' RB_DB=a RB_PARAM_DIR=/backups"#,
            "backup/dump[b]: shell.run",
            #"$ /bin/sh -c 'echo "$RB_DB" > "$RB_PARAM_DIR"/"$RB_DB"' RB_DB=b RB_PARAM_DIR=/backups"#,
            "backup/never: skipped (when: ${params.dir} == /nowhere is false)",
        ])
    }

    func testPlanRejectsUnknownRunbookAndBadParams() throws {
        let child = try runbook("""
        runbook: child
        summary: c
        params: {n: {type: int, required: true}}
        steps: [{id: s, action: shell.run, with: {command: "true"}}]
        """, path: "child.yaml")
        var context = PlanContext(profile: nil, runID: "r", stateDir: "/tmp")
        context.runbooks = ["child": child]
        let unknown = ResolvedCall(spec: RunbookRun().spec, stepID: "x", inputs: ["runbook": .string("chlid")])
        XCTAssertThrowsError(try RunbookRun().plan(unknown, in: context)) { error in
            XCTAssertTrue("\(error)".contains("did you mean"), "\(error)")
        }
        let badParam = ResolvedCall(spec: RunbookRun().spec, stepID: "x",
                                    inputs: ["runbook": .string("child"), "params": .map(["n": .string("many")])])
        XCTAssertThrowsError(try RunbookRun().plan(badParam, in: context)) { error in
            XCTAssertTrue("\(error)".contains("not an integer"), "\(error)")
        }
    }

    func testPlanStopsAtACycle() throws {
        let loop = try runbook("""
        runbook: loop
        summary: calls itself
        steps: [{id: again, action: runbook.run, with: {runbook: loop}}]
        """, path: "loop.yaml")
        var context = PlanContext(profile: nil, runID: "r", stateDir: "/tmp")
        context.runbooks = ["loop": loop]
        let call = ResolvedCall(spec: RunbookRun().spec, stepID: "start", inputs: ["runbook": .string("loop")])
        XCTAssertThrowsError(try RunbookRun().plan(call, in: context)) { error in
            XCTAssertTrue("\(error)".contains("cycle"), "\(error)")
        }
    }
}
