import Foundation
import XCTest

/// Runbooks that call runbooks, through the built binary: the plan expands every call with its
/// own values, every reachable runbook is validated and digested before anything runs, and values
/// and outputs cross a call with their types.
final class NestedRunbookTests: XCTestCase {
    var dir: String!
    var work: String { dir + "/work" }

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "nested-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func write(_ name: String, _ yaml: String) throws {
        try yaml.write(toFile: "\(dir!)/runbooks/\(name).yaml", atomically: true, encoding: .utf8)
    }

    func runbook(_ args: [String]) throws -> RunbookBinary.Output {
        var full = args
        if args.first == "run" { full += ["--yes", "--state-dir", dir + "/state"] }
        return try RunbookBinary.run(full, cwd: dir)
    }

    func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: "\(work)/\(file)", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    // 1. Each loop item shows its child's steps with that item's values.
    func testPlanExpandsTheCalledRunbookOncePerLoopItemWithThatItemsValues() throws {
        try write("restore-one", """
        runbook: restore-one
        summary: Restore one database
        params: {database: {type: identifier, required: true}}
        steps:
          - id: restore
            confirm: Replaces ${params.database}
            action: shell.run
            with: {command: "echo restore ${params.database}"}
        """)
        try write("restore-all", """
        runbook: restore-all
        summary: Restore every database
        params: {databases: {type: "list<identifier>", default: [shared, users, payments]}}
        steps:
          - id: restore
            for_each: ${params.databases}
            as: database
            action: runbook.run
            with: {runbook: restore-one, params: {database: "${database}"}}
        """)
        let out = try runbook(["plan", "restore-all"])
        XCTAssertEqual(out.status, 0, out.stderr)
        for database in ["shared", "users", "payments"] {
            XCTAssertTrue(out.stdout.contains("""
               for database = \(database):
                 runs runbook restore-one with database=\(database):
                   1. restore  [shell.run]  DESTRUCTIVE
                      confirm: Replaces \(database)
                      $ /bin/sh -c 'echo restore "$RB_PARAM_DATABASE"'
                          env RB_PARAM_DATABASE = \(database)

            """), out.stdout)
        }
        XCTAssertTrue(out.stdout.contains("destructive: restore[shared]/restore, restore[users]/restore, restore[payments]/restore"), out.stdout)
        let docs = try runbook(["docs", "restore-all"])
        XCTAssertEqual(docs.status, 0, docs.stderr)
        for database in ["shared", "users", "payments"] {
            XCTAssertTrue(docs.stdout.contains("Runs runbook `restore-one` for database = `\(database)` with `database` = `\(database)`:"), docs.stdout)
            XCTAssertTrue(docs.stdout.contains("> **Confirm:** Replaces \(database)\n"), docs.stdout)
        }
    }

    /// The shipped disaster recovery: the plan names each of the three databases it restores.
    func testShippedDisasterRecoveryPlanShowsEveryDatabaseItRestores() throws {
        let out = try RunbookBinary.run(["plan", "disaster-recovery", "--profile", "production"])
        XCTAssertEqual(out.status, 0, out.stderr)
        for database in ["shared_services_db", "user_service_db", "payment_service_db"] {
            XCTAssertTrue(out.stdout.contains("for database = \(database):\n     runs runbook restore-database with database=\(database) "), out.stdout)
            XCTAssertTrue(out.stdout.contains("confirm: Replaces the objects of \(database) with those in latest"), out.stdout)
            XCTAssertTrue(out.stdout.contains("restore-databases[\(database)]/restore"), out.stdout)
        }
    }

    // 2. A runbook reached only from a rollback is planned and digested.
    func testRollbackOnlyChildIsPlannedAndPartOfTheDigest() throws {
        try write("undo-child", """
        runbook: undo-child
        summary: Undo
        steps: [{id: undo, action: shell.run, with: {command: "echo undo-v1"}}]
        """)
        try write("parent", """
        runbook: parent
        summary: Does, and undoes through another runbook
        steps:
          - id: change
            action: shell.run
            with: {command: "echo change"}
            rollback: {action: runbook.run, with: {runbook: undo-child}}
        """)
        let first = try runbook(["plan", "parent"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertFalse(first.stdout.contains("cannot plan"), first.stdout)
        XCTAssertTrue(first.stdout.contains("""
              rollback [runbook.run]:
                runs runbook undo-child:
                  1. undo  [shell.run]
                     $ /bin/sh -c 'echo undo-v1'
           """), first.stdout)
        try write("undo-child", """
        runbook: undo-child
        summary: Undo
        steps: [{id: undo, action: shell.run, with: {command: "echo undo-v2"}}]
        """)
        let second = try runbook(["plan", "parent"])
        let digest = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("Plan digest: ") } }
        XCTAssertNotNil(digest(first.stdout))
        XCTAssertNotEqual(digest(first.stdout), digest(second.stdout), "editing the rollback-only child changes the digest")
        let stale = try runbook(["run", "parent", "--plan-digest", String(digest(first.stdout)!.dropFirst("Plan digest: ".count))])
        XCTAssertEqual(stale.status, 5, stale.stderr)
        XCTAssertTrue(stale.stderr.contains("plan digest mismatch"), stale.stderr)
    }

    // 3. An error in any reachable runbook stops the run before its first step.
    func testRunValidatesEveryReachableRunbookBeforeTheFirstStep() throws {
        try write("broken-child", """
        runbook: broken-child
        summary: Has an unknown action
        steps:
          - id: oops
            action: shell.runn
            with: {command: "true"}
        """)
        try write("parent", """
        runbook: parent
        summary: Marks, then calls a broken child
        steps:
          - {id: mark, action: shell.run, with: {command: "echo ran > \(work)/mark"}}
          - {id: call, action: runbook.run, with: {runbook: broken-child}}
        """)
        let out = try runbook(["run", "parent"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("runbooks/broken-child.yaml:5:13: error: unknown action \"shell.runn\"; did you mean \"shell.run\"? [unknown-action]"), out.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/mark"), "nothing ran")
        let plan = try runbook(["plan", "parent"])
        XCTAssertEqual(plan.status, 1, "plan refuses the same graph: \(plan.stdout)")
        XCTAssertEqual(plan.stderr, out.stderr, "run and plan report the same error the same way")
        let validate = try runbook(["validate", "runbooks/parent.yaml"])
        XCTAssertEqual(validate.status, 1)
        XCTAssertTrue(validate.stdout.contains("runbooks/broken-child.yaml:5:13: error: unknown action \"shell.runn\""), validate.stdout)
    }

    // 4. params: values of the child's declared types, checked statically, arriving as values.
    func testTypedParamsReachTheChildAsValues() throws {
        try write("child", """
        runbook: child
        summary: Writes what it was given
        params:
          items: {type: "list<string>", required: true}
          count: {type: int, default: 1}
          flag: {type: bool, default: false}
          wait: {type: duration, default: 1s}
        steps:
          - id: each
            for_each: ${params.items}
            as: item
            action: shell.run
            with: {command: "echo ${item} >> \(work)/items"}
          - id: scalars
            action: shell.run
            with: {command: "echo ${params.count} ${params.flag} ${params.wait} > \(work)/scalars"}
        """)
        try write("parent", """
        runbook: parent
        summary: Passes typed values
        steps:
          - id: call
            action: runbook.run
            with:
              runbook: child
              params: {items: [a, "b,c"], count: 3, flag: true, wait: 5m}
        """)
        let ok = try runbook(["run", "parent"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertEqual(lines("items"), ["a", "b,c"], "a list item holding a comma stays one item")
        XCTAssertEqual(lines("scalars"), ["3 true 5m"])

        try write("parent", """
        runbook: parent
        summary: Passes wrong values
        steps:
          - id: call
            action: runbook.run
            with:
              runbook: child
              params: {count: [1], flag: maybe, itmes: [a]}
        """)
        let bad = try runbook(["validate", "runbooks/parent.yaml", "--runbooks-dir", "runbooks"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stdout, """
        runbooks/parent.yaml:8:15: error: runbook "child" needs param "items" (list<string>) [runbook-params]
        note: pass it as params: {items: ...}
        runbooks/parent.yaml:8:23: error: param "count" of runbook "child" is int: got a list [runbook-params]
        runbooks/parent.yaml:8:34: error: param "flag" of runbook "child" is bool: "maybe" is not true or false [runbook-params]
        runbooks/parent.yaml:8:41: error: runbook "child" has no param "itmes"; did you mean "items"? [runbook-params]
        note: params of child: items, count, flag, wait

        """)
        let run = try runbook(["run", "parent"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("runbooks/parent.yaml:8:23: error: param \"count\" of runbook \"child\" is int: got a list [runbook-params]"), run.stderr)
    }

    // 5. A runbook's outputs: declared, checked by name in the caller, and read after the call.
    func testCallerReadsTheChildsDeclaredOutputs() throws {
        try write("child", """
        runbook: child
        summary: Says which file it chose
        outputs: {chosen: "${steps.choose.outputs.stdout}"}
        steps:
          - {id: choose, action: shell.run, with: {command: "echo /backups/db-2026.dump"}}
        """)
        try write("parent", """
        runbook: parent
        summary: Records what the child chose
        steps:
          - {id: call, action: runbook.run, with: {runbook: child}}
          - {id: record, action: shell.run, with: {command: "echo ${steps.call.outputs.chosen} > \(work)/chosen"}}
        """)
        let ok = try runbook(["run", "parent"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertEqual(lines("chosen"), ["/backups/db-2026.dump"])

        try write("parent", """
        runbook: parent
        summary: Reads an output the child does not declare
        steps:
          - {id: call, action: runbook.run, with: {runbook: child}}
          - {id: record, action: shell.run, with: {command: "echo ${steps.call.outputs.chose}"}}
        """)
        let bad = try runbook(["run", "parent"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("""
        runbooks/parent.yaml:5:59: error: step "call" (runbook child) has no output "chose"; did you mean "chosen"? [undefined-reference]
        note: outputs of runbook child: chosen
        """), bad.stderr)
    }
}
