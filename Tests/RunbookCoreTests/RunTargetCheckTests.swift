import XCTest
@testable import RunbookCore

/// A target that only `when:` steps use is required of the profile only by the runs that
/// take those steps: missing-target at validation leaves it out, `RunTargetCheck` decides
/// with the bound params.
final class RunTargetCheckTests: XCTestCase {
    let managesStack = """
    runbook: t
    summary: s
    params:
      manage_stack: {type: bool, default: true}
    requires: [db, stack]
    steps:
      - id: stop
        when: ${params.manage_stack}
        action: test.stop
        with: {target: stack, services: [api]}
        rollback:
          action: test.start
          with: {target: stack, services: [api]}
      - id: dump
        action: test.dump
        with: {target: db, database: app, to: /x}
    """

    let dbOnly = """
    profile: p
    targets:
      db: {postgres: {via: local}}
    """

    func profile(_ yaml: String) throws -> Profile {
        let loaded = ProfileLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: "p.yaml"))
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.profile)
    }

    func runbook(_ yaml: String) throws -> Runbook {
        try XCTUnwrap(loadRunbook(yaml).runbook)
    }

    func testValidationAcceptsAProfileWithoutATargetOnlyWhenStepsUse() throws {
        XCTAssertEqual(check(MissingTargetRule(), managesStack, profile: try profile(dbOnly)), [])
    }

    func testARunThatTakesTheStepNeedsTheTargetBeforeItStarts() throws {
        let d = RunTargetCheck.check(try runbook(managesStack), params: ["manage_stack": .bool(true)],
                                     profile: try profile(dbOnly), catalog: FakeCatalog.catalog)
        XCTAssertEqual(headlines(d), [
            #"t.yaml:10:20: error: profile "p" has no target "stack", which step "stop" uses: its when: ${params.manage_stack} holds with these params; set the params so that it does not hold, or add the target to p.yaml [missing-target]"#,
        ])
        XCTAssertEqual(d.first?.notes, ["targets in p.yaml: db"])
    }

    func testARunThatSkipsTheStepDoesNotNeedTheTarget() throws {
        let d = RunTargetCheck.check(try runbook(managesStack), params: ["manage_stack": .bool(false)],
                                     profile: try profile(dbOnly), catalog: FakeCatalog.catalog)
        XCTAssertEqual(d, [])
    }

    func testATargetAlsoUsedUnconditionallyIsStillRequiredAtValidation() throws {
        let yaml = managesStack + """

              - id: start
                action: test.start
                with: {target: stack, services: [api]}
            """
        XCTAssertEqual(headlines(check(MissingTargetRule(), yaml, profile: try profile(dbOnly))),
                       [#"t.yaml:5:16: error: profile "p" has no target "stack" [missing-target]"#])
    }
}
