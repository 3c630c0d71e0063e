import RunbookActions
import XCTest
@testable import RunbookCore

final class LoaderTests: XCTestCase {
    func testAFullRunbookLoadsWithLocations() throws {
        let loaded = loadRunbook("""
        runbook: t
        summary: Restore
        params:
          db: {type: identifier, default: app}
          dbs: {type: "list<identifier>"}
        secrets:
          pw: {env: PW}
        requires: [db]
        steps:
          - id: one
            action: test.exec
            with: {argv: [ls]}
            timeout: 1m30s
            retry: {attempts: 3, delay: 5s}
            on_failure: continue
            parallel: 2
            for_each: [a]
            as: item
        on_failure:
          - id: tell
            manual: ["Tell ${params.db}"]
        """)
        XCTAssertEqual(loaded.diagnostics, [])
        let rb = try XCTUnwrap(loaded.runbook)
        XCTAssertEqual(rb.params.map(\.type), [.identifier, .list(.identifier)])
        XCTAssertEqual(rb.secrets.first?.env, "PW")
        XCTAssertEqual(rb.requires.map(\.name), ["db"])
        let step = try XCTUnwrap(rb.steps.first)
        XCTAssertEqual(step.timeout, 90)
        XCTAssertEqual(step.retry, Step.Retry(attempts: 3, delay: 5))
        XCTAssertEqual(step.onFailure, .continue)
        XCTAssertEqual(step.parallel, 2)
        XCTAssertEqual(step.keyLocations["parallel"], SourceLocation(file: "t.yaml", line: 16, column: 5))
        XCTAssertEqual(step.action?.nameLocation, SourceLocation(file: "t.yaml", line: 11, column: 13))
        XCTAssertEqual(rb.onFailure.first?.manual.first?.valueColumn, 15, "inside the quotes")
    }

    func testUnknownKeysSuggestAndListValidKeys() {
        let loaded = loadRunbook("runbook: t\nsumary: s\nsteps: []\n")
        XCTAssertEqual(headlines(loaded.diagnostics), [
            #"t.yaml:1:1: error: runbook needs "summary" [missing-key]"#,
            #"t.yaml:2:1: error: unknown key "sumary" in runbook; did you mean "summary"? [unknown-key]"#,
        ])
        XCTAssertEqual(loaded.diagnostics.first { $0.rule == "unknown-key" }?.notes,
                       ["valid keys: description, locks, on_failure, outputs, params, requires, rto, runbook, secrets, steps, summary"])
    }

    func testSyntaxErrorsArePositioned() {
        let doc = YAMLDocument.parse(Data("a: [1, 2\nb: c\n".utf8), path: "x.yaml")
        XCTAssertNil(doc.root)
        XCTAssertEqual(doc.diagnostics.count, 1)
        XCTAssertEqual(doc.diagnostics.first?.rule, "yaml-syntax")
        XCTAssertEqual(doc.diagnostics.first?.location?.line, 2)
    }

    func testDuplicateKeysPointAtTheRepeatAndNoteTheFirst() {
        let doc = YAMLDocument.parse(Data("a: 1\nb: 2\na: 3\n".utf8), path: "x.yaml")
        XCTAssertEqual(headlines(doc.diagnostics), [#"x.yaml:3:1: error: duplicate key "a" in mapping [duplicate-key]"#])
        XCTAssertEqual(doc.diagnostics.first?.notes, ["first given at x.yaml:1:1"])
    }

    func testDuplicateKeyInANestedMappingIsFoundInThatMapping() {
        // The same key in a sibling mapping is not a duplicate; the repeat inside `with:` is.
        let doc = YAMLDocument.parse(Data("""
        steps:
          - id: one
            with: {database: a}
          - id: two
            with:
              database: b
              dir: /x
              "database": c
        """.utf8), path: "x.yaml")
        XCTAssertEqual(headlines(doc.diagnostics), [#"x.yaml:8:7: error: duplicate key "database" in mapping [duplicate-key]"#])
        XCTAssertEqual(doc.diagnostics.first?.notes, ["first given at x.yaml:6:7"])
        XCTAssertEqual(doc.diagnostics.first?.length, "database".count)
    }

    func testProfilesReportDuplicateKeysTheSameWay() {
        let loaded = ProfileLoader.load(document: YAMLDocument.parse(Data("""
        profile: p
        targets:
          db: {postgres: {via: local}}
          db: {postgres: {via: local, port: 5433}}
        """.utf8), path: "p.yaml"))
        XCTAssertEqual(headlines(loaded.diagnostics), [#"p.yaml:4:3: error: duplicate key "db" in mapping [duplicate-key]"#])
        XCTAssertEqual(loaded.diagnostics.first?.notes, ["first given at p.yaml:3:3"])
    }

    func testValueColumnsOnlyForVerbatimSingleLineScalars() throws {
        let doc = YAMLDocument.parse(Data("""
        a: plain ${x}
        b: "dq ${x}"
        c: 'sq ${x}'
        d: "esc \\" ${x}"
        e: |
          block ${x}
        f: folded
          plain ${x}
        g: "über ${x}"
        """.utf8), path: "x.yaml")
        let root = try XCTUnwrap(doc.root)
        XCTAssertEqual(root["a"]?.valueColumn, 4)
        XCTAssertEqual(root["b"]?.valueColumn, 5)
        XCTAssertEqual(root["c"]?.valueColumn, 5)
        XCTAssertNil(root["d"]?.valueColumn)
        XCTAssertNil(root["e"]?.valueColumn)
        XCTAssertNil(root["f"]?.valueColumn)
        XCTAssertEqual(root["g"]?.valueColumn, 5)
    }

    func testHostileInputsBecomeDiagnostics() {
        func rules(_ data: Data) -> [String] { YAMLDocument.parse(data, path: "h.yaml").diagnostics.map(\.rule) }
        XCTAssertEqual(rules(Data([0x00, 0xff, 0x13])), ["yaml-syntax"])
        XCTAssertEqual(rules(Data([0xc3, 0x28, 0x41])), ["yaml-syntax"], "invalid UTF-8")
        XCTAssertEqual(rules(Data(String(repeating: "[", count: 100_000).utf8)), ["yaml-too-deep"])
        XCTAssertEqual(rules(Data(String(repeating: "- ", count: 100_000).utf8)), ["yaml-too-deep"])
        XCTAssertEqual(rules(Data(String(repeating: "{a: ", count: 10_000).utf8)), ["yaml-too-deep"])
        XCTAssertEqual(rules(Data(repeating: UInt8(ascii: "a"), count: (1 << 20) + 1)), ["file-too-large"])
        var laughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for (prev, name) in zip("abcdefgh", "bcdefghi") {
            laughs += "\(name): &\(name) [" + Array(repeating: "*\(prev)", count: 10).joined(separator: ", ") + "]\n"
        }
        XCTAssertEqual(rules(Data(laughs.utf8)), ["yaml-too-large"])
        // Indentation nesting is bounded by the depth limit after parsing.
        var indented = ""
        for i in 0..<200 { indented += String(repeating: " ", count: i) + "k:\n" }
        XCTAssertEqual(rules(Data(indented.utf8)), ["yaml-too-deep"])
    }

    func testLoadReadsAtMostTheLimitFromDevices() {
        // /dev/zero never ends: the loader must stop at the limit instead of reading forever.
        let doc = YAMLDocument.load(path: "/dev/zero")
        XCTAssertEqual(doc.diagnostics.map(\.rule), ["file-too-large"])
        XCTAssertEqual(YAMLDocument.load(path: "/nonexistent/x.yaml").diagnostics.map(\.rule), ["io"])
    }

    func testProfileLoads() throws {
        let loaded = ProfileLoader.load(document: YAMLDocument.parse(Data("""
        profile: prod
        secrets:
          pw: {env: PW}
        targets:
          stack: {compose: {project_dir: /opt/aqstream}}
          db: {postgres: {via: compose, compose: stack, service: postgres-shared, user: aqstream, password: "${secrets.pw}"}}
        """.utf8), path: "prod.yaml"))
        XCTAssertEqual(loaded.diagnostics, [])
        let p = try XCTUnwrap(loaded.profile)
        XCTAssertEqual(p.nameLocation, SourceLocation(file: "prod.yaml", line: 1, column: 10))
        let pg = try XCTUnwrap(p.target("db")?.binding.configuration(as: PostgresTarget.self), "db is not postgres")
        XCTAssertEqual(pg.passwordSecret, "pw")
        XCTAssertEqual(pg.service, "postgres-shared")
    }
}

/// The nesting pre-scan runs over UTF-8 bytes; its columns must still count unicode scalars.
final class FlowDepthScanTests: XCTestCase {
    func testColumnsCountUnicodeScalarsNotBytes() {
        var limits = YAMLDocument.Limits()
        limits.maxDepth = 2
        let doc = YAMLDocument.parse(Data("a: 1\n\u{E9}\u{1F389}: [[[x]]]\n".utf8), path: "d.yaml", limits: limits)
        XCTAssertEqual(doc.diagnostics.map(\.rule), ["yaml-too-deep"])
        XCTAssertEqual(doc.diagnostics.first?.location, SourceLocation(file: "d.yaml", line: 2, column: 7))
        XCTAssertEqual(doc.diagnostics.first?.message, "nesting is deeper than 2 levels (reached 3)")
    }
}

/// MappingReader keeps "was this key read" as 64 bits plus an array beyond; keys past the
/// 64th must be told apart as well as the first ones.
final class ManyKeysTests: XCTestCase {
    func testUnknownKeysPastTheSixtyFourthAreReportedAndKnownKeysAfterThemAreNot() {
        var yaml = ""
        for i in 0..<70 { yaml += "k\(i): 1\n" }
        yaml += "runbook: t\nsummary: s\nsteps:\n  - id: a\n    manual: [check]\n"
        let loaded = loadRunbook(yaml)
        let unknown = loaded.diagnostics.filter { $0.rule == "unknown-key" }
        XCTAssertEqual(unknown.map(\.location?.line), Array(1...70))
        XCTAssertEqual(unknown.last?.message, "unknown key \"k69\" in runbook")
        XCTAssertEqual(loaded.runbook?.name, "t", "runbook: (the 71st key) is read")
        XCTAssertEqual(loaded.runbook?.steps.map(\.id), ["a"])
        XCTAssertEqual(loaded.diagnostics.count, 70, "\(render(loaded.diagnostics))")
    }
}
