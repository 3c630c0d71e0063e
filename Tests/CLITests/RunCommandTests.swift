import Foundation
import XCTest

/// `runbook run` end to end with real shell steps: order, outputs, rollback,
/// exit codes, validation before anything runs, nested runbooks.
final class RunCommandTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    func testSuccessfulRunExitsZeroAndRecordsEveryStep() throws {
        let r = try h.run(["run", "steps-ok"], env: ["RB_CLI_TOKEN": "tok-123456"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["first", "with-secret", "last"])
        let id = try XCTUnwrap(h.runIDs.first)
        XCTAssertEqual(try h.stepStates(id), ["first": "succeeded", "with-secret": "succeeded", "last": "succeeded"])
        XCTAssertEqual(try h.journal(id)["status"] as? String, "succeeded")
        XCTAssertTrue(r.stdout.contains("succeeded"))
        let verify = try h.run(["audit", "verify", h.auditPath])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }

    func testFailureRollsBackNewestFirstRunsOnFailureAndExitsTwo() throws {
        let r = try h.run(["run", "fail-rollback"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["one", "two", "undo-two", "undo-one", "notified"])
        let id = try XCTUnwrap(h.runIDs.first)
        let states = try h.stepStates(id)
        XCTAssertEqual(states["one"], "rolled-back")
        XCTAssertEqual(states["two"], "rolled-back")
        XCTAssertEqual(states["three"], "failed")
        XCTAssertNil(states["four"])
        XCTAssertEqual(try h.journal(id)["status"] as? String, "failed-rolled-back")
        XCTAssertTrue(r.stdout.contains("disk full"), "the failing command's stderr explains the failure")
    }

    func testTitlesNameTheirParamsAndLoopItems() throws {
        let r = try h.run(["run", "titled", "--param", "site=south"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("one  Prepare south"), r.stdout)
        XCTAssertTrue(r.stdout.contains("each[users]  Restore users at south"), r.stdout)
        XCTAssertTrue(r.stdout.contains("each[payments]  Restore payments at south"), r.stdout)
        // The loop as a whole has no item: its title speaks of each one.
        XCTAssertTrue(r.stdout.contains("each  Restore each database at south"), r.stdout)

        let plan = try h.run(["plan", "titled", "--runbooks-dir", RunHarness.runbooksDir, "--param", "dir=/tmp", "--param", "site=east"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertTrue(plan.stdout.contains("   Prepare east\n"), plan.stdout)
    }

    func testFailedRollbackExitsThree() throws {
        let r = try h.run(["run", "rollback-fails"])
        XCTAssertEqual(r.status, 3, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["one", "two", "undo-one"])
        XCTAssertEqual(try h.stepStates(try XCTUnwrap(h.runIDs.first))["two"], "rollback-failed")
    }

    func testInvalidRunbookIsRefusedWithADiagnosticAndNothingRuns() throws {
        let r = try h.run(["run", "invalid"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("invalid.yaml:7:5: error:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("rollbak"), r.stderr)
        XCTAssertEqual(h.runIDs, [])
    }

    func testBadParamIsRefusedBeforeAnythingRuns() throws {
        let r = try h.run(["run", "steps-ok", "--param", "nope=1"], env: ["RB_CLI_TOKEN": "x"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("has no param \"nope\""), r.stderr)
        XCTAssertEqual(h.log, [])
    }

    func testMissingSecretIsRefusedBeforeAnythingRuns() throws {
        XCTAssertNil(ProcessInfo.processInfo.environment["RB_CLI_TOKEN"])
        let r = try h.run(["run", "steps-ok"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("secret \"token\": environment variable RB_CLI_TOKEN is not set"), r.stderr)
        XCTAssertEqual(h.log, [])
    }

    func testPlanDigestMismatchRefusesToStart() throws {
        let r = try h.run(["run", "fail-rollback", "--plan-digest", String(repeating: "ab", count: 32)])
        XCTAssertEqual(r.status, 5)
        XCTAssertTrue(r.stderr.contains("plan digest mismatch"), r.stderr)
        XCTAssertEqual(h.log, [])
    }

    func testDestructiveStepWithoutTerminalNeedsYes() throws {
        try FileManager.default.createDirectory(atPath: h.work + "/victim/sub", withIntermediateDirectories: true)
        let refused = try h.run(["run", "destructive"])
        XCTAssertEqual(refused.status, 5)
        XCTAssertTrue(refused.stderr.contains("pass --yes"), refused.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: h.work + "/victim/sub"))

        let confirmed = try h.run(["run", "destructive", "--yes", "--operator", "alice"])
        XCTAssertEqual(confirmed.status, 0, confirmed.stdout + confirmed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.work + "/victim"))
        let audit = h.auditText
        XCTAssertTrue(audit.contains("\"event\":\"manual.tick\""))
        XCTAssertTrue(audit.contains("\"status\":\"auto-confirmed\""))
        XCTAssertTrue(audit.contains("\"operator\":\"alice\""))
    }

    func testNestedRunbookIsRecordedWithItsPrefixAndRolledBackWithTheParent() throws {
        let ok = try h.run(["run", "parent"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertEqual(h.log, ["stop-from-parent", "mark"])
        XCTAssertTrue(h.auditText.contains("\"step\":\"prepare/stop-services\""))

        try? FileManager.default.removeItem(atPath: h.work + "/log")
        let failed = try h.run(["run", "parent", "--param", "fail=true"])
        XCTAssertEqual(failed.status, 2, failed.stdout + failed.stderr)
        XCTAssertEqual(h.log, ["stop-from-parent", "mark", "start-again"], "the parent's failure undoes the child's completed steps")
    }

    /// `run` reads only the runbooks it can reach as NAME.yaml; one kept in a file of another
    /// name is still found (by reading the whole directory), and a broken stranger found there
    /// does not stop the run.
    func testNestedRunbookIsFoundWhateverItsFileIsCalled() throws {
        let dir = h.work + "/rb"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        runbook: outer
        summary: Runs two helpers.
        params: {dir: {type: path}}
        steps:
          - {id: by-file, action: runbook.run, with: {runbook: inner}}
          - {id: by-name, action: runbook.run, with: {runbook: helper}}
        """.write(toFile: dir + "/outer.yaml", atomically: true, encoding: .utf8)
        try """
        runbook: inner
        summary: Kept in inner.yaml.
        steps:
          - {id: mark, action: shell.run, with: {command: "echo inner >> \(h.work)/log"}}
        """.write(toFile: dir + "/inner.yaml", atomically: true, encoding: .utf8)
        try """
        runbook: helper
        summary: Kept in a file of another name.
        steps:
          - {id: mark, action: shell.run, with: {command: "echo helper >> \(h.work)/log"}}
        """.write(toFile: dir + "/tools.yaml", atomically: true, encoding: .utf8)
        try "runbook: [broken\n".write(toFile: dir + "/stranger.yaml", atomically: true, encoding: .utf8)

        let r = try h.run(["run", "outer"], runbooksDir: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["inner", "helper"])

        try FileManager.default.removeItem(atPath: dir + "/tools.yaml")
        let missing = try h.run(["run", "outer"], runbooksDir: dir)
        XCTAssertEqual(missing.status, 1, missing.stdout + missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no runbook \"helper\" in this directory"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("[unknown-runbook]"), missing.stderr)
    }

    func testJSONFormatStreamsOneEventPerLine() throws {
        let r = try h.run(["run", "fail-rollback", "--format", "json"])
        XCTAssertEqual(r.status, 2)
        let events = try r.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(events.first?["event"] as? String, "run.start")
        XCTAssertEqual(events.last?["event"] as? String, "run.end")
        XCTAssertEqual(events.last?["status"] as? String, "failed-rolled-back")
        XCTAssertTrue(events.contains { $0["event"] as? String == "rollback.end" && $0["step"] as? String == "two" })
    }
}
