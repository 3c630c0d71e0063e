import Foundation
import XCTest

/// SIGTERM/SIGINT to runbook: the running step's group gets SIGINT first, the
/// run is recorded as interrupted, and the --on-interrupt policy decides.
final class RunInterruptTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    private func interrupt(_ signal: Int32, extra: [String]) throws -> (RunHarness.Result, pid_t) {
        let (p, out, err) = h.process(["run", "trapped"] + extra)
        try p.run()
        h.waitFor("the trapping step to start") { !h.file("waits.pid").isEmpty }
        let shell = try XCTUnwrap(pid_t(h.file("waits.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(p.processIdentifier, signal)
        return (try h.finish(p, out, err, timeout: 30), shell)
    }

    func testSIGTERMStopsTheStepAndByDefaultRollsNothingBack() throws {
        let (r, shell) = try interrupt(SIGTERM, extra: [])
        XCTAssertEqual(r.status, 4, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["before", "got-INT"], "the step's group got SIGINT; nothing was rolled back or run after")
        XCTAssertEqual(ProcessTable.liveMembers(ofGroup: shell).map(\.pid), [], "no process of the step survives")
        let id = try XCTUnwrap(h.runIDs.first)
        XCTAssertEqual(try h.journal(id)["status"] as? String, "interrupted")
        XCTAssertEqual(try h.stepStates(id)["waits"], "interrupted")
        XCTAssertTrue(r.stdout.contains("runbook resume \(id)"), r.stdout)
        XCTAssertTrue(h.auditText.contains("\"event\":\"interrupt\""))
    }

    func testSIGINTWithRollbackPolicyRollsBack() throws {
        let (r, _) = try interrupt(SIGINT, extra: ["--on-interrupt", "rollback"])
        XCTAssertEqual(r.status, 4, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["before", "got-INT", "undo-before"])
        XCTAssertEqual(try h.stepStates(try XCTUnwrap(h.runIDs.first))["before"], "rolled-back")
    }

    func testInterruptedRunCanBeResumed() throws {
        _ = try interrupt(SIGTERM, extra: [])
        let id = try XCTUnwrap(h.runIDs.first)
        try? FileManager.default.removeItem(atPath: h.work + "/waits.pid")
        let (p, out, err) = h.process(["resume", id])
        try p.run()
        h.waitFor("the interrupted step to run again") { !h.file("waits.pid").isEmpty }
        kill(p.processIdentifier, SIGTERM)
        let r = try h.finish(p, out, err)
        XCTAssertEqual(r.status, 4)
        XCTAssertEqual(h.log, ["before", "got-INT", "got-INT"], "resume did not repeat the completed step")
    }
}
