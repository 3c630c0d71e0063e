import XCTest
@testable import RunbookCore

/// duplicate-step-id, invalid-step-id, name-mismatch, param-default, when, for-each, parallel.
final class StepRuleTests: XCTestCase {
    func testDuplicateIdsAcrossStepsAndOnFailureWithANoteAtTheFirst() {
        let d = check(DuplicateStepIDRule(), """
        runbook: t
        summary: s
        steps:
          - id: a
            manual: [x]
          - id: a
            manual: [y]
        on_failure:
          - id: a
            manual: [z]
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:6:9: error: duplicate step id "a" [duplicate-step-id]"#,
            #"t.yaml:9:9: error: duplicate step id "a" [duplicate-step-id]"#,
        ])
        XCTAssertEqual(d.map(\.notes), [["first defined at t.yaml:4:9"], ["first defined at t.yaml:4:9"]])
    }

    func testInvalidIdsWithASuggestion() {
        let d = check(InvalidStepIDRule(), """
        runbook: t
        summary: s
        steps:
          - id: Stop Services
            manual: [x]
          - id: ok-1_b
            manual: [y]
          - id: _x
            manual: [z]
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:4:9: error: invalid step id "Stop Services"; ids use lowercase letters, digits, - and _, and start with a letter or digit; did you mean "stop-services"? [invalid-step-id]"#,
            #"t.yaml:8:9: error: invalid step id "_x"; ids use lowercase letters, digits, - and _, and start with a letter or digit; did you mean "x"? [invalid-step-id]"#,
        ])
        XCTAssertTrue(InvalidStepIDRule.isValid("0day"))
        XCTAssertFalse(InvalidStepIDRule.isValid("é"))
    }

    func testNameMustEqualFileName() {
        let yaml = "runbook: backup\nsummary: s\nsteps: []\n"
        XCTAssertEqual(headlines(check(NameMismatchRule(), yaml, path: "dir/backup.yaml")), [])
        XCTAssertEqual(headlines(check(NameMismatchRule(), yaml, path: "dir/backup.yml")), [])
        XCTAssertEqual(headlines(check(NameMismatchRule(), yaml, path: "dir/restore.yaml")), [
            #"dir/restore.yaml:1:10: error: runbook is named "backup" but its file is "restore.yaml"; the name must equal the file name [name-mismatch]"#,
        ])
    }

    func testDefaultsMustSatisfyTheirDeclaration() {
        let d = check(ParamDefaultRule(), """
        runbook: t
        summary: s
        params:
          a: {type: string, allowed: [x, y], default: z}
          b: {type: int, default: "1.5"}
          c: {type: "list<identifier>", default: [ok, "no way"]}
          d: {type: string, pattern: "[0-9]+", default: abc}
          e: {type: string, pattern: "([", default: abc}
          f: {type: duration, default: 5m}
          g: {type: bool, default: off}
        steps: []
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:4:47: error: default of param "a" (string) is invalid: "z" is not allowed; valid values: x, y [param-default]"#,
            #"t.yaml:5:28: error: default of param "b" (int) is invalid: "1.5" is not an integer [param-default]"#,
            #"t.yaml:6:48: error: default of param "c" (list<identifier>) is invalid: "no way" is not an identifier (letters, digits and _, not starting with a digit, at most 63 characters) [param-default]"#,
            #"t.yaml:7:49: error: default of param "d" (string) is invalid: "abc" does not match pattern [0-9]+ [param-default]"#,
            #"t.yaml:8:45: error: default of param "e" (string) is invalid: pattern "([" is not a valid regular expression [param-default]"#,
        ])
        XCTAssertEqual(d.first?.notes, ["allowed values: x, y"])
    }

    func testWhenConditions() {
        XCTAssertNil(WhenRule.problem("${params.full}"))
        XCTAssertNil(WhenRule.problem("${params.format} == custom"))
        XCTAssertNil(WhenRule.problem("${params.format} != \"plain\""))
        XCTAssertNil(WhenRule.problem("${params.a}-x == ${params.b}"))
        XCTAssertEqual(WhenRule.problem("${params.a} = b"), #"a single "=" does not compare; did you mean "=="?"#)
        XCTAssertEqual(WhenRule.problem("${params.a} == b != ${params.c}"), "use one == or != (conditions cannot be combined)")
        XCTAssertEqual(WhenRule.problem("${params.a} == b && ${params.c}"), #""&&" is not supported; only == and != compare"#)
        XCTAssertEqual(WhenRule.problem("${params.a} || ${params.c}"), #""||" is not supported; only == and != compare"#)
        XCTAssertEqual(WhenRule.problem("${params.n} > 3"), #"">" is not supported; only == and != compare"#)
        XCTAssertEqual(WhenRule.problem("!${params.a}"), #""!" is not supported; use != or compare with false"#)
        XCTAssertEqual(WhenRule.problem("always"), "it has no ${...} reference, so it is always the same")
        XCTAssertEqual(WhenRule.problem("${params.a} == "), #"both sides of == need a value (write "" for empty)"#)
        // Unterminated references are left to [expression].
        XCTAssertNil(WhenRule.problem("${params.a == b"))

        let d = check(WhenRule(), """
        runbook: t
        summary: s
        params:
          a: {type: string}
        steps:
          - id: x
            when: ${params.a} = b
            manual: [x]
        """)
        XCTAssertEqual(headlines(d), [#"t.yaml:7:11: error: malformed when: "${params.a} = b": a single "=" does not compare; did you mean "=="? [when]"#])
        XCTAssertEqual(d.first?.length, "${params.a} = b".count)
    }

    func testForEachNeedsAListOrAListReference() {
        let d = check(ForEachRule(), """
        runbook: t
        summary: s
        params:
          one: {type: identifier}
          many: {type: "list<identifier>"}
        steps:
          - {id: a, for_each: "${params.one}", as: x, manual: [a]}
          - {id: b, for_each: "a,b", as: x, manual: [b]}
          - {id: c, for_each: "${params.many}", as: x, manual: [c]}
          - {id: d, for_each: "${steps.c.outputs.list}", as: x, manual: [d]}
          - {id: e, for_each: {a: 1}, as: x, manual: [e]}
          - {id: f, for_each: "${params.many}-x", as: x, manual: [f]}
          - {id: g, for_each: [1, 2], as: run, manual: [g]}
          - {id: h, as: x, manual: [h]}
        """)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:7:24: error: for_each must be a list or a single reference to a list param or step output; params.one has type identifier, not a list [for-each]"#,
            #"t.yaml:8:24: error: for_each must be a list or a single reference to a list param or step output; got "a,b" [for-each]"#,
            #"t.yaml:11:23: error: for_each must be a list or a single reference to a list param or step output; got a mapping [for-each]"#,
            #"t.yaml:12:24: error: for_each must be a list or a single reference to a list param or step output; got text "${params.many}-x" [for-each]"#,
            #"t.yaml:13:31: error: loop variable name "run" is not usable; use letters, digits, _ and -, and not params, secrets, steps, run [for-each]"#,
            #"t.yaml:14:13: error: step "h" has as: "x" but no for_each [for-each]"#,
        ])
    }

    func testParallelNeedsForEach() {
        let d = check(ParallelRule(), """
        runbook: t
        summary: s
        steps:
          - id: a
            parallel: 1
            manual: [a]
          - id: b
            for_each: [1, 2]
            as: i
            parallel: 2
            manual: [b]
        """)
        XCTAssertEqual(headlines(d), [#"t.yaml:5:5: error: step "a" sets parallel: but has no for_each; parallel runs loop items concurrently [parallel]"#])
    }
}

final class ProfileValidationTests: XCTestCase {
    func testProfileNameMustEqualFileName() throws {
        let loaded = ProfileLoader.load(document: YAMLDocument.parse(Data("profile: prod\ntargets: {}\n".utf8), path: "profiles/production.yaml"))
        let profile = try XCTUnwrap(loaded.profile)
        XCTAssertEqual(headlines(Validator.validate(profile: profile)), [
            #"profiles/production.yaml:1:10: error: profile is named "prod" but its file is "production.yaml"; the name must equal the file name [name-mismatch]"#,
        ])
        let same = ProfileLoader.load(document: YAMLDocument.parse(Data("profile: prod\ntargets: {}\n".utf8), path: "profiles/prod.yml"))
        XCTAssertEqual(Validator.validate(profile: try XCTUnwrap(same.profile)), [])
    }
}
