import Foundation
import XCTest
@testable import RunbookCore

/// `rto:` as the loader reads it, as the rule checks it, and as plans and docs show it.
final class RTOObjectiveTests: XCTestCase {
    let yaml = """
    runbook: t
    summary: s
    rto:
      target: 1h30m
      until: health
    steps:
      - id: restore
        manual: [Restore]
      - id: health
        manual: [Check]
      - id: checklist
        manual: [Tick]
    """

    func runbook(_ text: String) throws -> Runbook {
        let loaded = loadRunbook(text)
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.runbook)
    }

    func testLoaderReadsTargetAndUntilWithTheValuesLocation() throws {
        let rto = try XCTUnwrap(try runbook(yaml).rto)
        XCTAssertEqual(rto.target, 5400)
        XCTAssertEqual(rto.targetText, "1h30m")
        XCTAssertEqual(rto.until?.name, "health")
        XCTAssertEqual(rto.until?.location, SourceLocation(file: "t.yaml", line: 5, column: 10))
        XCTAssertEqual(check(RTOStepRule(), yaml), [])
    }

    func testUntilDefaultsToTheLastStep() throws {
        let rb = try runbook(yaml.replacingOccurrences(of: "  until: health\n", with: ""))
        let rto = try XCTUnwrap(rb.rto)
        XCTAssertNil(rto.until)
        XCTAssertEqual(rto.untilStep(in: rb), "checklist")
        XCTAssertEqual(rto.describe(in: rb), "1h30m, measured from the start of the run until step `checklist` (the last step) succeeds")
    }

    func testPlanTextJSONAndDocsShowTheObjective() throws {
        let rb = try runbook(yaml)
        let plan = Planner(catalog: FakeCatalog.catalog, profile: nil, stateDir: "/state").plan(rb, params: [:])
        let text = PlanRenderer.text(plan, digest: nil)
        XCTAssertTrue(text.contains("\nRTO objective: 1h30m, measured from the start of the run until step `health` succeeds\n"), text)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(PlanRenderer.json(plan, digest: nil).utf8)) as? [String: Any])
        let rto = try XCTUnwrap(json["rto"] as? [String: Any])
        XCTAssertEqual(rto["target"] as? String, "1h30m")
        XCTAssertEqual(rto["target_seconds"] as? Double, 5400)
        XCTAssertEqual(rto["until"] as? String, "health")
        XCTAssertTrue(DocsRenderer.markdown(rb, plan: plan).contains(
            "Recovery time objective (RTO): 1h30m, measured from the start of the run until step `health` succeeds."))

        let without = try runbook(yaml.replacingOccurrences(of: "rto:\n  target: 1h30m\n  until: health\n", with: ""))
        XCTAssertNil(without.rto)
        let plain = Planner(catalog: FakeCatalog.catalog, profile: nil, stateDir: "/state").plan(without, params: [:])
        XCTAssertFalse(PlanRenderer.text(plain, digest: nil).contains("RTO"))
        XCTAssertNil((try JSONSerialization.jsonObject(with: Data(PlanRenderer.json(plain, digest: nil).utf8)) as? [String: Any])?["rto"])
    }

    /// What was reviewed is what runs: a changed objective changes the plan digest.
    func testPlanDigestCoversTheObjective() throws {
        let a = try runbook(yaml)
        let b = try runbook(yaml.replacingOccurrences(of: "target: 1h30m", with: "target: 2h"))
        XCTAssertNotEqual(PlanDigest.compute(graph: RunbookGraph(root: a, available: [:]), params: [:], profile: nil),
                          PlanDigest.compute(graph: RunbookGraph(root: b, available: [:]), params: [:], profile: nil))
    }
}
