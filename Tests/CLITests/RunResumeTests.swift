import Foundation
import XCTest

/// `kill -9` of runbook in the middle of a step, then `resume`: the audit trail
/// verifies up to its last complete event, the leftover child is stopped, and
/// the run completes without repeating the step that finished.
final class RunResumeTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    func testResumeAfterKillNineCompletesTheRun() throws {
        let (p, out, err) = h.process(["run", "resumable"])
        try p.run()
        h.waitFor("step b to start") { !h.file("b.pid").isEmpty }
        kill(p.processIdentifier, SIGKILL)
        _ = try h.finish(p, out, err)
        let leftover = try XCTUnwrap(pid_t(h.file("b.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertTrue(ProcessTable.isAlive(leftover), "step b's shell outlives a SIGKILLed runbook")

        let verifyAfterKill = try h.run(["audit", "verify", h.auditPath])
        XCTAssertEqual(verifyAfterKill.status, 0, verifyAfterKill.stderr)
        let id = try XCTUnwrap(h.runIDs.first)
        XCTAssertEqual(try h.journal(id)["status"] as? String, "running")
        XCTAssertEqual(h.log, ["a"])

        let resumed = try h.run(["resume", id])
        XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
        XCTAssertFalse(ProcessTable.isAlive(leftover), "resume stops what the killed run left running")
        XCTAssertEqual(h.log, ["a", "b", "c saw out-a"], "a is not repeated, b runs once to completion, c sees a's output")
        XCTAssertTrue(resumed.stdout.contains("took over stale lock"), resumed.stdout)
        let journal = try h.journal(id)
        XCTAssertEqual(journal["status"] as? String, "succeeded")
        XCTAssertEqual(journal["sessions"] as? Int, 2)

        let verify = try h.run(["audit", "verify", h.auditPath])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(h.auditText.contains("\"event\":\"process.leftover-stopped\""))
        XCTAssertTrue(h.auditText.contains("\"event\":\"lock.takeover\""))
    }

    func testResumeRefusesWhenTheRunbookChanged() throws {
        let dir = h.work + "/rb"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/editable.yaml"
        try """
        runbook: editable
        summary: Fails until edited.
        params: {dir: {type: path}}
        steps:
          - {id: one, action: shell.run, with: {command: "exit 1"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let (p, out, err) = h.process(["run", path])
        try p.run()
        XCTAssertEqual(try h.finish(p, out, err).status, 2)
        let id = try XCTUnwrap(h.runIDs.first)
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "exit 1", with: "exit 0")
            .write(toFile: path, atomically: true, encoding: .utf8)

        let refused = try h.run(["resume", id])
        XCTAssertEqual(refused.status, 5)
        XCTAssertTrue(refused.stderr.contains("changed since run \(id)"), refused.stderr)
        let forced = try h.run(["resume", id, "--force"])
        XCTAssertEqual(forced.status, 0, forced.stdout + forced.stderr)
    }

    func testResumeRefusesWhenARunbookItRunsChanged() throws {
        let dir = h.work + "/rb"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        runbook: outer
        summary: Runs inner.
        params: {dir: {type: path}}
        steps:
          - {id: call, action: runbook.run, with: {runbook: inner}}
        """.write(toFile: dir + "/outer.yaml", atomically: true, encoding: .utf8)
        try """
        runbook: inner
        summary: Fails until edited.
        steps:
          - {id: one, action: shell.run, with: {command: "exit 1"}}
        """.write(toFile: dir + "/inner.yaml", atomically: true, encoding: .utf8)
        XCTAssertEqual(try h.run(["run", "outer"], runbooksDir: dir).status, 2)
        let id = try XCTUnwrap(h.runIDs.first)
        try String(contentsOfFile: dir + "/inner.yaml", encoding: .utf8).replacingOccurrences(of: "exit 1", with: "exit 0")
            .write(toFile: dir + "/inner.yaml", atomically: true, encoding: .utf8)

        let refused = try h.run(["resume", id], runbooksDir: dir)
        XCTAssertEqual(refused.status, 5, refused.stdout + refused.stderr)
        XCTAssertTrue(refused.stderr.contains("a runbook that outer runs through runbook.run changed since run \(id)"), refused.stderr)
        let forced = try h.run(["resume", id, "--force"], runbooksDir: dir)
        XCTAssertEqual(forced.status, 0, forced.stdout + forced.stderr)
    }

    func testSucceededRunCannotBeResumed() throws {
        XCTAssertEqual(try h.run(["run", "parent"]).status, 0)
        let r = try h.run(["resume", try XCTUnwrap(h.runIDs.first)])
        XCTAssertEqual(r.status, 5)
        XCTAssertTrue(r.stderr.contains("nothing to resume"), r.stderr)
    }
}
