import XCTest
@testable import RunbookCore

/// expression, undefined-reference, secret-in-text; and where references are reported.
final class ReferenceRuleTests: XCTestCase {
    let header = """
    runbook: t
    summary: s
    params:
      database: {type: identifier}
      at: {type: timestamp}
    secrets:
      pw: {env: PW}
    requires: [db]
    steps:

    """

    func testUndefinedParamPointsAtTheDollarInsideQuotes() {
        let d = check(UndefinedReferenceRule(), header + """
          - id: a
            action: test.exec
            with: {argv: [echo, "x ${params.databse}"]}
        """)
        // Line 12: `    with: {argv: [echo, "x ${params.databse}"]}`: the quote is column 25, `${` column 28.
        XCTAssertEqual(headlines(d), [#"t.yaml:12:28: error: undefined param "databse"; did you mean "database"? [undefined-reference]"#])
        XCTAssertEqual(d.first?.length, "${params.databse}".count)
        XCTAssertEqual(d.first?.notes, ["params: database, at"])
    }

    func testPlainScalarColumnHasNoQuoteOffset() {
        let d = check(UndefinedReferenceRule(), header + """
          - id: a
            action: test.exec
            with:
              argv: ${params.nope}
        """)
        XCTAssertEqual(headlines(d), [#"t.yaml:13:13: error: undefined param "nope" [undefined-reference]"#])
    }

    func testMultiLineScalarsPointAtTheNode() {
        let d = check(UndefinedReferenceRule(), header + """
          - id: a
            manual:
              - >-
                first line
                then ${params.nope}
        """)
        XCTAssertEqual(headlines(d), [#"t.yaml:12:9: error: undefined param "nope" [undefined-reference]"#])
        XCTAssertEqual(d.first?.length, 1)
    }

    func testEscapedQuotesPointAtTheNode() {
        // The decoded value differs from the source text, so offsets inside it would lie.
        let d = check(UndefinedReferenceRule(), header + """
          - id: a
            manual: ["say \\"hi\\" ${params.nope}"]
        """)
        XCTAssertEqual(headlines(d), [#"t.yaml:11:14: error: undefined param "nope" [undefined-reference]"#])
    }

    func testSecretsRunFieldsAndBareNames() {
        let d = check(UndefinedReferenceRule(), header + """
          - id: a
            action: test.exec
            with: {argv: [x], env: {A: "${secrets.pww}", B: "${run.user}", C: "${database}"}}
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:12:33: error: undefined secret "pww"; did you mean "pw"? [undefined-reference]"#,
            #"t.yaml:12:54: error: unknown run field "user" [undefined-reference]"#,
            #"t.yaml:12:72: error: undefined reference "${database}"; did you mean "params.database"? [undefined-reference]"#,
        ])
    }

    func testStepOutputsOnlyOfEarlierStepsAndDeclaredOnes() {
        let d = check(UndefinedReferenceRule(), header + """
          - id: first
            action: test.exec
            with: {argv: ["${steps.second.outputs.stdout}", "${steps.first.outputs.stdout}"]}
            verify:
              - {check: test.exists, path: "${steps.first.outputs.stdout}"}
          - id: second
            action: test.exec
            with: {argv: ["${steps.first.outputs.stdot}", "${steps.third.outputs.x}", "${steps.nope.outputs.x}"]}
          - id: third
            manual: [x]
        on_failure:
          - id: late
            action: test.exec
            with: {argv: ["${steps.second.outputs.stdout}"]}
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:12:20: error: step "second" runs after this one; only outputs of earlier steps can be used [undefined-reference]"#,
            #"t.yaml:12:54: error: step "first" reads its own output "stdout" before its action has run [undefined-reference]"#,
            #"t.yaml:17:20: error: step "first" (test.exec) has no output "stdot"; did you mean "stdout"? [undefined-reference]"#,
            #"t.yaml:17:52: error: step "third" runs after this one; only outputs of earlier steps can be used [undefined-reference]"#,
            #"t.yaml:17:80: error: no step "nope" [undefined-reference]"#,
        ])
    }

    func testOnFailureOutputsAreNotVisibleToMainSteps() {
        let d = check(UndefinedReferenceRule(), header + """
          - id: a
            action: test.exec
            with: {argv: ["${steps.tell.outputs.stdout}"]}
        on_failure:
          - id: tell
            action: test.exec
            with: {argv: [x]}
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:12:20: error: step "tell" is an on_failure step, which runs only after a failure; only outputs of earlier steps can be used [undefined-reference]"#,
        ])
    }

    func testManualStepsHaveNoOutputs() {
        let d = check(UndefinedReferenceRule(), header + """
          - id: a
            manual: [x]
          - id: b
            manual: ["${steps.a.outputs.x}"]
        """)
        XCTAssertEqual(headlines(d), [#"t.yaml:13:15: error: step "a" has no action, so it has no output "x" [undefined-reference]"#])
    }

    func testLoopVariablesOnlyInsideTheirStepBody() {
        let d = check(UndefinedReferenceRule(), header + """
          - id: each
            for_each: [a, b]
            as: item
            when: ${item} == a
            action: test.exec
            with: {argv: ["${item}"]}
            verify: [{check: test.exists, path: "${item}"}]
          - id: after
            manual: ["${item}"]
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:13:11: error: loop variable "item" is not defined in when:, which is evaluated once for the whole step [undefined-reference]"#,
            #"t.yaml:18:15: error: loop variable "item" is defined only inside step "each" [undefined-reference]"#,
        ])
    }

    func testParseErrorsAreExpressionDiagnostics() {
        let d = check(ExpressionRule(), header + """
          - id: a
            manual: ["ok ${params.database", "${steps.a}", "${foo.bar}", "${}"]
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:11:18: error: unterminated "${" [expression]"#,
            #"t.yaml:11:39: error: malformed reference "${steps.a}"; expected ${steps.<id>.outputs.<name>} [expression]"#,
            #"t.yaml:11:53: error: unknown reference "${foo.bar}"; references start with params., secrets., steps., run., targets. or name a loop variable [expression]"#,
            #"t.yaml:11:67: error: malformed reference "${}" [expression]"#,
        ])
    }

    func testTimeFormatsOnlyOnTimestamps() {
        let d = check(ExpressionRule(), header + """
          - id: a
            manual: ["${run.started_at|%Y} ${params.at|%F} ${params.database|%Y} ${run.id|%H} ${run.started_at|}"]
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:11:52: error: a time format applies only to timestamps, but params.database has type identifier [expression]"#,
            #"t.yaml:11:74: error: a time format applies only to timestamps, but ${run.id} is not a time [expression]"#,
            #"t.yaml:11:87: error: empty time format after "|" in ${run.started_at|} [expression]"#,
        ])
    }

    func testSecretsOnlyAsWholeEnvValues() {
        let d = check(SecretInTextRule(), header + """
          - id: a
            action: test.exec
            with:
              argv: [psql, "${secrets.pw}"]
              env: {PGPASSWORD: "${secrets.pw}", URL: "u:${secrets.pw}@h"}
            confirm: ${secrets.pw}
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:13:21: error: secret "pw" passed to input "argv" of test.exec would land in a command line [secret-in-text]"#,
            #"t.yaml:14:50: error: secret "pw" is embedded in text in env:; a secret can only be the whole value of an environment entry [secret-in-text]"#,
            #"t.yaml:15:14: error: secret "pw" used in confirm: would be shown to people and written to logs [secret-in-text]"#,
        ])
        XCTAssertEqual(d.first?.notes, [#"inputs of test.exec that take secrets (as NAME: "${secrets.X}"): env"#])
    }

    func testASecretInputTakesAWholeSecretReferenceAndNothingElse() {
        let yaml = header + """
          - id: a
            action: test.decrypt
            with: {identity: "${secrets.pw}"}
          - id: b
            action: test.decrypt
            with: {identity: AGE-SECRET-KEY-1XYZ}
          - id: c
            action: test.decrypt
            with: {identity: "key ${secrets.pw}"}
        """
        let decrypt = ActionSpec("test.decrypt", summary: "Decrypt with an identity", inputs: [
            InputSpec("identity", .secret, required: true, "The identity, as a secret"),
        ])
        let catalog = ActionCatalog((FakeCatalog.specs + [decrypt]).map { FakeAction(spec: $0) })
        XCTAssertEqual(headlines(check(SecretInTextRule(), yaml, catalog: catalog)), [
            #"t.yaml:18:27: error: secret "pw" is embedded in text in identity:; a secret can only be the whole value of an environment entry [secret-in-text]"#,
        ])
        XCTAssertEqual(headlines(check(InputTypeRule(), yaml, catalog: catalog)), [
            #"t.yaml:15:22: error: input "identity" of test.decrypt must be a secret, written ${secrets.NAME}, got "AGE-SECRET-KEY-1XYZ" [input-type]"#,
        ])
    }
}
