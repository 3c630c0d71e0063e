import XCTest
@testable import RunbookCore

/// unknown-action, unknown-input, missing-input, input-type.
final class ActionRuleTests: XCTestCase {
    func testUnknownActionSuggestsTheClosestNameAndListsValidOnes() {
        let d = check(UnknownActionRule(), """
        runbook: t
        summary: s
        steps:
          - id: a
            action: test.dmup
        """)
        XCTAssertEqual(headlines(d), [#"t.yaml:5:13: error: unknown action "test.dmup"; did you mean "test.dump"? [unknown-action]"#])
        XCTAssertEqual(d.first?.length, 9)
        XCTAssertEqual(d.first?.notes, ["valid actions: runbook.run, test.dump, test.exec, test.shell, test.start, test.stop"])
    }

    func testActionsCannotBeChecksButAChecksCanBeAStepsAction() {
        let d = check(UnknownActionRule(), """
        runbook: t
        summary: s
        steps:
          - id: a
            action: test.exists
            require:
              - {check: test.exec}
        """)
        // A check may be a step's action (the step fails when the check does); never the reverse.
        XCTAssertEqual(headlines(d), [
            #"t.yaml:7:17: error: "test.exec" is an action, not a check; checks go under require: and verify:, actions under action: and rollback: [unknown-action]"#,
        ])
    }

    func testUnknownCheckAndUnknownRollbackAction() {
        let d = check(UnknownActionRule(), """
        runbook: t
        summary: s
        steps:
          - id: a
            manual: [x]
            verify:
              - check: test.exist
            rollback: {action: nope}
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:7:16: error: unknown check "test.exist"; did you mean "test.exists"? [unknown-action]"#,
            #"t.yaml:8:24: error: unknown action "nope" [unknown-action]"#,
        ])
        XCTAssertEqual(d.first?.notes, ["valid checks: test.exists, test.query"])
    }

    func testUnknownInputPointsAtTheKey() {
        let d = check(UnknownInputRule(), """
        runbook: t
        summary: s
        steps:
          - id: a
            action: test.exec
            with: {argv: [ls], evn: {A: b}}
            verify:
              - {check: test.exists, path: /x, mode: "0600"}
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:6:24: error: test.exec has no input "evn"; did you mean "env"? [unknown-input]"#,
            #"t.yaml:8:40: error: test.exists has no input "mode" [unknown-input]"#,
        ])
        XCTAssertEqual(d.first?.notes, ["inputs of test.exec: argv, env"])
    }

    func testMissingInputIncludingNullAndChecks() {
        let d = check(MissingInputRule(), """
        runbook: t
        summary: s
        requires: [db]
        steps:
          - id: a
            action: test.dump
            with: {target: db, to: null}
            verify:
              - check: test.query
                target: db
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:6:13: error: test.dump needs input "database" (identifier): The database [missing-input]"#,
            #"t.yaml:7:28: error: test.dump needs input "to" (path): Output file [missing-input]"#,
            #"t.yaml:9:16: error: test.query needs input "sql" (sql): The query [missing-input]"#,
        ])
    }

    func testInputsWithDefaultsAreNotRequired() {
        let d = check(MissingInputRule(), """
        runbook: t
        summary: s
        requires: [db]
        steps:
          - id: a
            action: test.dump
            with: {target: db, database: app, to: /x}
        """)
        XCTAssertEqual(d, [])
    }

    func testLiteralTypesAreCheckedAndQuoted() {
        let d = check(InputTypeRule(), """
        runbook: t
        summary: s
        requires: [db]
        steps:
          - id: a
            action: test.dump
            with:
              target: [db]
              database: 2fast
              to: /x
              format: zip
              jobs: "two"
              compress: maybe
              timeout: 5 minutes
              tables: [users, "bad table", ok_1]
              env: FOO=bar
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:8:15: error: input "target" of test.dump must be the name of a postgres target, got a list [input-type]"#,
            #"t.yaml:9:17: error: input "database" of test.dump must be an identifier (letters, digits and _, not starting with a digit, at most 63 bytes), got "2fast" [input-type]"#,
            #"t.yaml:11:15: error: input "format" of test.dump must be one of plain, custom, directory; got "zip" [input-type]"#,
            #"t.yaml:12:14: error: input "jobs" of test.dump must be an integer, got "two" [input-type]"#,
            #"t.yaml:13:17: error: input "compress" of test.dump must be true or false, got "maybe" [input-type]"#,
            #"t.yaml:14:16: error: input "timeout" of test.dump must be a duration like 30s, 5m or 1h30m, got "5 minutes" [input-type]"#,
            #"t.yaml:15:24: error: input "tables" of test.dump must be an identifier (letters, digits and _, not starting with a digit, at most 63 bytes), got "bad table" [input-type]"#,
            #"t.yaml:16:12: error: input "env" of test.dump must be a mapping of NAME: string, got "FOO=bar" [input-type]"#,
        ])
        // The caret covers the bad value, inside its quotes.
        XCTAssertEqual(d.first { $0.message.contains("\"two\"") }?.length, 3)
    }

    func testValidLiteralsPass() {
        let d = check(InputTypeRule(), """
        runbook: t
        summary: s
        requires: [db]
        steps:
          - id: a
            action: test.dump
            with: {target: db, database: _app1, to: 5, format: plain, jobs: "4", compress: Yes, timeout: 1h30m, tables: single, env: {A: 1}}
        """)
        XCTAssertEqual(d, [])
    }

    func testTemplatesAreCheckedOnlyForShape() {
        let d = check(InputTypeRule(), """
        runbook: t
        summary: s
        params:
          dbs: {type: "list<identifier>"}
          n: {type: string}
        requires: [db]
        steps:
          - id: a
            action: test.dump
            with: {target: db, database: "${params.dbs}", to: "${params.n}", jobs: "${params.n}", tables: "${params.dbs}", env: "x${params.n}"}
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:10:35: error: input "database" of test.dump must be a single identifier value, but params.dbs has type list<identifier> [input-type]"#,
            #"t.yaml:10:122: error: input "env" of test.dump must be a mapping of NAME: value, got text "x${params.n}" [input-type]"#,
        ])
    }
}
