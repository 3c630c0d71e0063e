import XCTest
@testable import RunbookCore

/// undeclared-target, missing-target, unknown-runbook, runbook-cycle, runbook-params.
final class TargetAndRunbookRuleTests: XCTestCase {
    let usesTargets = """
    runbook: t
    summary: s
    requires: [db, stack]
    steps:
      - id: a
        action: test.dump
        with: {target: db, database: app, to: /x}
      - id: b
        action: test.stop
        with: {target: stak, services: [api]}
      - id: c
        action: test.dump
        with: {target: "${params.t}", database: app, to: /x}
    """

    func testTargetsMustBeListedInRequires() {
        let d = check(UndeclaredTargetRule(), usesTargets.replacingOccurrences(of: "\"${params.t}\"", with: "db"))
        XCTAssertEqual(headlines(d), [#"t.yaml:10:20: error: target "stak" is not listed in requires:; did you mean "stack"? [undeclared-target]"#])
        XCTAssertEqual(d.first?.notes, ["requires: db, stack"])
    }

    func profile(_ yaml: String) -> Profile? {
        let loaded = ProfileLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: "p.yaml"))
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return loaded.profile
    }

    func testWithAProfileEveryRequiredTargetMustExistWithTheRightKind() {
        let p = profile("""
        profile: p
        targets:
          db: {compose: {project_dir: /opt}}
          stak: {compose: {project_dir: /opt}}
        """)
        let yaml = usesTargets.replacingOccurrences(of: "\"${params.t}\"", with: "db")
        let d = check(MissingTargetRule(), yaml, profile: p)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:3:16: error: profile "p" has no target "stack"; did you mean "stak"? [missing-target]"#,
            #"t.yaml:7:20: error: target "db" is a compose target in profile "p"; test.dump needs a postgres target [missing-target]"#,
            #"t.yaml:13:20: error: target "db" is a compose target in profile "p"; test.dump needs a postgres target [missing-target]"#,
        ])
        XCTAssertEqual(d.first?.notes, ["targets in p.yaml: db, stak"])
        XCTAssertEqual(check(MissingTargetRule(), yaml, profile: nil), [], "without a profile there is nothing to check")
    }

    func testProfilesMustReferenceComposeTargetsThatExist() {
        let loaded = ProfileLoader.load(document: YAMLDocument.parse(Data("""
        profile: p
        targets:
          db: {postgres: {via: compose, compose: stack, service: pg}}
          other: {postgres: {via: compose, compose: db, service: pg}}
          stak: {compose: {project_dir: /opt}}
        """.utf8), path: "p.yaml"))
        XCTAssertEqual(headlines(loaded.diagnostics), [
            #"p.yaml:3:3: error: target "db" names compose target "stack" in "compose", which is not defined in this profile; did you mean "stak"? [missing-target]"#,
            #"p.yaml:4:3: error: target "other" names compose target "db" in "compose", which is a postgres target in this profile [missing-target]"#,
        ])
    }

    func runbook(_ name: String, calls: [String]) -> Runbook {
        let steps = calls.enumerated().map { i, c in "  - {id: s\(i), action: runbook.run, with: {runbook: \(c)}}" }
        let loaded = loadRunbook("runbook: \(name)\nsummary: s\nsteps:\n" + steps.joined(separator: "\n") + "\n", path: "\(name).yaml")
        return loaded.runbook!
    }

    func testUnknownRunbookSuggestsSiblings() {
        let d = check(UnknownRunbookRule(), "runbook: t\nsummary: s\nsteps:\n  - {id: a, action: runbook.run, with: {runbook: restor}}\n",
                      runbooks: [runbook("restore", calls: []), runbook("backup", calls: [])])
        XCTAssertEqual(headlines(d), [#"t.yaml:4:50: error: no runbook "restor" in this directory; did you mean "restore"? [unknown-runbook]"#])
        XCTAssertEqual(d.first?.notes, ["runbooks: backup, restore, t"])
    }

    func testCyclesAreReportedWithTheirPath() {
        let a = runbook("a", calls: ["b"])
        let b = runbook("b", calls: ["c"])
        let c = runbook("c", calls: ["a", "d"])
        let d = runbook("d", calls: [])
        let context = RuleContext(catalog: FakeCatalog.catalog, runbooks: ["a": a, "b": b, "c": c, "d": d])
        XCTAssertEqual(RunbookCycleRule().check(a, in: context).map(\.message), ["runbook.run cycle: a -> b -> c -> a"])
        XCTAssertEqual(RunbookCycleRule().check(c, in: context).map(\.message), ["runbook.run cycle: c -> a -> b -> c"])
        XCTAssertEqual(RunbookCycleRule().check(d, in: context), [])
        let selfCall = runbook("e", calls: ["e"])
        XCTAssertEqual(RunbookCycleRule().check(selfCall, in: RuleContext(catalog: FakeCatalog.catalog, runbooks: ["e": selfCall])).map(\.description),
                       ["e.yaml:4:51: error: runbook.run cycle: e -> e [runbook-cycle]"])
    }

    func testCalledRunbookParamsAreChecked() {
        let callee = loadRunbook("""
        runbook: restore
        summary: s
        params:
          database: {type: identifier, required: true}
          dump: {type: path, required: true, default: /x}
          format: {type: string}
        steps: []
        """, path: "restore.yaml").runbook!
        let d = check(RunbookParamsRule(), """
        runbook: t
        summary: s
        steps:
          - id: a
            action: runbook.run
            with:
              runbook: restore
              params: {formt: custom}
        """, runbooks: [callee])
        XCTAssertEqual(headlines(d), [
            #"t.yaml:8:15: error: runbook "restore" needs param "database" (identifier) [runbook-params]"#,
            #"t.yaml:8:16: error: runbook "restore" has no param "formt"; did you mean "format"? [runbook-params]"#,
        ])
    }
}

/// The directory call graph is built from `runbookRunTargets`, a shortcut that must name
/// exactly the targets of `runbookRunCalls`, in order.
final class RunbookRunTargetsTests: XCTestCase {
    func testTargetsMatchTheRunbookRunCallsOfEveryShippedAndFixtureRunbook() throws {
        var withCalls = 0
        for dir in ["runbooks", "Tests/Fixtures/ok", "Tests/Fixtures/err"] {
            for file in BatchValidation.yamlFiles(in: packageRoot.path + "/" + dir) {
                guard let runbook = RunbookLoader.load(path: file).runbook else { continue }
                XCTAssertEqual(runbook.runbookRunTargets, runbook.runbookRunCalls.map(\.target), file)
                if !runbook.runbookRunTargets.isEmpty { withCalls += 1 }
            }
        }
        XCTAssertGreaterThan(withCalls, 2)
    }
}
