import RunbookActions
import XCTest
@testable import RunbookCore

final class TemplateAndBinderTests: XCTestCase {
    func testTemplateParts() throws {
        let t = try Template.parse("a ${params.x} $${lit} ${run.started_at|%Y}").get()
        XCTAssertEqual(t.parts, [
            .literal("a "),
            .reference(.param("x"), format: nil, offset: 2, length: 11),
            .literal(" ${lit} "),
            .reference(.run("started_at"), format: "%Y", offset: 22, length: 20),
        ])
        XCTAssertNil(t.singleReference)
        XCTAssertEqual(try Template.parse("${steps.a.outputs.b}").get().singleReference, .stepOutput(step: "a", output: "b"))
        XCTAssertEqual(try Template.parse("${item}").get().singleReference, .loop("item"))
    }

    func testOffsetsCountCharactersAndColumnsCountScalars() throws {
        // "e" + combining acute is one Character but two unicode scalars (libyaml columns).
        let t = try Template.parse("e\u{301} ${params.x}").get()
        XCTAssertEqual(t.parts.last, .reference(.param("x"), format: nil, offset: 2, length: 11))
        let d = check(UndefinedReferenceRule(), "runbook: t\nsummary: s\nsteps:\n  - {id: a, manual: [\"e\u{301} ${params.x}\"]}\n")
        // The quote is column 22, the value starts at 23; `${` is 3 scalars further.
        XCTAssertEqual(d.map(\.location?.column), [26])
    }

    func testTemplateErrorsCarryTheOffset() {
        guard case .failure(let e) = Template.parse("xy ${params.a") else { return XCTFail() }
        XCTAssertEqual(e.offset, 3)
        guard case .failure(let e2) = Template.parse("${params}") else { return XCTFail() }
        XCTAssertEqual(e2.message, #"malformed reference "${params}"; expected ${params.<name>}"#)
    }

    func decl(_ type: ParamType, allowed: [String] = [], pattern: String? = nil) -> ParamDecl {
        ParamDecl(name: "p", type: type, allowed: allowed, pattern: pattern, location: SourceLocation(file: "t", line: 1, column: 1))
    }

    func testParamCoercion() {
        XCTAssertEqual(try ParamBinder.coerce("42", to: decl(.int)).get(), .int(42))
        XCTAssertEqual(try ParamBinder.coerce("yes", to: decl(.bool)).get(), .bool(true))
        XCTAssertEqual(try ParamBinder.coerce("a, b", to: decl(.list(.identifier))).get(), .list([.string("a"), .string("b")]))
        XCTAssertEqual(try ParamBinder.coerce("2024-01-15 14:30:00 UTC", to: decl(.timestamp)).get(), .string("2024-01-15 14:30:00 UTC"))
        XCTAssertThrowsError(try ParamBinder.coerce("x", to: decl(.int)).get())
        XCTAssertThrowsError(try ParamBinder.coerce("zip", to: decl(.string, allowed: ["gzip"])).get())
        XCTAssertThrowsError(try ParamBinder.coerce("abc1", to: decl(.string, pattern: "[a-z]+")).get(), "the pattern is anchored")
        XCTAssertThrowsError(try ParamBinder.coerce("1db", to: decl(.identifier)).get())
    }

    func testParamBindingReportsUnknownMissingAndBadValues() throws {
        let rb = try XCTUnwrap(loadRunbook("""
        runbook: t
        summary: s
        params:
          a: {type: int, required: true}
          b: {type: string, default: x}
          c: {type: int}
        steps: []
        """).runbook)
        let (values, diags) = ParamBinder.bind(rb, given: ["c": "nope", "zz": "1"])
        XCTAssertEqual(values["b"], .string("x"))
        XCTAssertEqual(diags.map(\.rule).sorted(), ["missing-param", "param-value", "unknown-param"])
    }

    func testCallBinderAppliesDefaultsAndBindsTargets() throws {
        let rb = try XCTUnwrap(loadRunbook("""
        runbook: t
        summary: s
        params:
          db: {type: identifier, default: app}
        requires: [db]
        steps:
          - id: a
            action: test.dump
            with: {target: db, database: "${params.db}", to: "/b/${params.db}.dump", jobs: "3"}
        """).runbook)
        let profile = Profile(name: "p", path: "p.yaml", targets: [
            TargetDecl(name: "db", binding: .postgres(PostgresTarget()), location: SourceLocation(file: "p.yaml", line: 1, column: 1)),
        ])
        let binder = CallBinder(catalog: FakeCatalog.catalog, profile: profile)
        let scope = Scope(params: ["db": .string("app")], secretNames: [], runID: "r1", startedAt: Date(timeIntervalSince1970: 0), stateDir: "/s")
        let (_, call) = try binder.bind(rb.steps[0].action!, stepID: "a", evaluator: Evaluator(scope: scope))
        XCTAssertEqual(call.inputs["to"], .string("/b/app.dump"))
        XCTAssertEqual(call.inputs["jobs"], .int(3))
        XCTAssertEqual(call.inputs["format"], .string("custom"), "default applied")
        XCTAssertEqual(call.targets["target"]?.name, "db")
    }

    func testEvaluatorConditionsAndTimeFormats() throws {
        let scope = Scope(params: ["f": .string("custom"), "on": .bool(false)], secretNames: ["pw"], runID: "r",
                          startedAt: Date(timeIntervalSince1970: 86400), stateDir: "/s")
        let e = Evaluator(scope: scope)
        let at = SourceLocation(file: "t", line: 1, column: 1)
        XCTAssertTrue(try e.condition(Templated("${params.f} == custom", at: at)))
        XCTAssertFalse(try e.condition(Templated("${params.f} != custom", at: at)))
        XCTAssertFalse(try e.condition(Templated("${params.on}", at: at)))
        XCTAssertEqual(try e.string(Templated("${run.started_at|%Y-%m-%d}", at: at)), "1970-01-02")
        XCTAssertThrowsError(try e.string(Templated("x ${secrets.pw}", at: at)), "secrets never become text")
    }
}
