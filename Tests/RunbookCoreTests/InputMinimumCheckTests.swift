import XCTest
@testable import RunbookCore

/// `InputMinimumCheck`: a bound param that feeds an input with a minimum must reach it, or the
/// run is refused at the input, whether or not the step's `when:` holds; a value inside a larger
/// text, or an input without a minimum, is left to the action.
final class InputMinimumCheckTests: XCTestCase {
    let dumps = """
    runbook: t
    summary: s
    params:
      jobs: {type: int, default: 2}
      parallel_dump: {type: bool, default: false}
    requires: [db]
    steps:
      - id: dump
        when: ${params.parallel_dump}
        action: test.dump
        with: {target: db, database: app, to: /x, jobs: "${params.jobs}"}
    """

    func check(_ params: [String: Value]) throws -> [Diagnostic] {
        InputMinimumCheck.check(try XCTUnwrap(loadRunbook(dumps).runbook), params: params, catalog: FakeCatalog.catalog)
    }

    func testAParamBelowTheMinimumIsRefusedAtTheInputEvenWhenTheStepIsSkipped() throws {
        XCTAssertEqual(headlines(try check(["jobs": .int(0), "parallel_dump": .bool(false)])), [
            #"t.yaml:11:54: error: input "jobs" of test.dump (step "dump") must be at least 1, got 0 from param "jobs" [input-minimum]"#,
        ])
        XCTAssertEqual(headlines(try check(["jobs": .int(-3), "parallel_dump": .bool(true)])).count, 1)
    }

    func testTheMinimumItselfAndAboveAreAccepted() throws {
        XCTAssertEqual(try check(["jobs": .int(1), "parallel_dump": .bool(true)]), [])
        XCTAssertEqual(try check(["jobs": .int(8), "parallel_dump": .bool(true)]), [])
    }
}
