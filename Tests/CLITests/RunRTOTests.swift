import Foundation
import XCTest

/// `rto:` measured by real runs of the built binary: the time from the run's start
/// until the `until` step succeeded, in the audit trail, the journal (history, show)
/// and the last lines of the run; and no RTO claimed when the run never got there.
final class RunRTOTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    /// The audit trail's events, parsed, in order.
    func auditEvents() throws -> [[String: Any]] {
        try h.auditText.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    func history() throws -> [[String: Any]] {
        let r = try h.run(["history", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    /// The seconds printed in `RTO achieved: 1.3s (objective ...)`.
    func printedRTO(_ stdout: String, file: StaticString = #filePath, line: UInt = #line) throws -> (seconds: String, rest: String) {
        let found = stdout.split(separator: "\n").filter { $0.hasPrefix("RTO") }
        XCTAssertEqual(found.count, 1, "one RTO line expected:\n\(stdout)", file: file, line: line)
        let text = String(try XCTUnwrap(found.first, file: file, line: line))
        let prefix = "RTO achieved: "
        XCTAssertTrue(text.hasPrefix(prefix), text, file: file, line: line)
        let afterPrefix = text.dropFirst(prefix.count)
        let number = try XCTUnwrap(afterPrefix.split(separator: "s", maxSplits: 1).first, file: file, line: line)
        return (String(number), String(afterPrefix.dropFirst(number.count + 1)))
    }

    func testRTOIsMeasuredUntilTheStepSucceedsAndRecordedEverywhere() throws {
        let r = try h.run(["run", "rto-met"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["restore", "health", "after"])

        let events = try auditEvents()
        let rtoEvents = events.filter { $0["event"] as? String == "rto" }
        XCTAssertEqual(rtoEvents.count, 1)
        let rto = try XCTUnwrap(rtoEvents.first)
        let seconds = try XCTUnwrap(rto["duration"] as? Double)
        let runEnd = try XCTUnwrap(events.first { $0["event"] as? String == "run.end" })
        let runDuration = try XCTUnwrap(runEnd["duration"] as? Double)
        XCTAssertGreaterThanOrEqual(seconds, 1.2, "restore sleeps 1.2s before health can succeed")
        // Measured when health succeeded, not at the end: the step after it sleeps 0.5s more.
        XCTAssertLessThanOrEqual(seconds + 0.5, runDuration + 0.002, "rto \(seconds)s, run \(runDuration)s")
        XCTAssertEqual(rto["step"] as? String, "health")
        XCTAssertEqual(rto["status"] as? String, "met")
        let data = try XCTUnwrap(rto["data"] as? [String: Any])
        XCTAssertEqual(data["until"] as? String, "health")
        XCTAssertEqual(data["met"] as? Bool, true)
        XCTAssertEqual(data["target"] as? String, "1h")
        XCTAssertEqual(data["target_ms"] as? Int, 3_600_000)
        XCTAssertEqual(data["rto_ms"] as? Int, Int((seconds * 1000).rounded()))

        // In the trail between health's end and the next step's start.
        let seq = { (e: [String: Any]) in e["seq"] as? Int ?? -1 }
        let healthEnd = try XCTUnwrap(events.first { $0["event"] as? String == "step.end" && $0["step"] as? String == "health" })
        let afterStart = try XCTUnwrap(events.first { $0["event"] as? String == "step.start" && $0["step"] as? String == "after" })
        XCTAssertLessThan(seq(healthEnd), seq(rto))
        XCTAssertLessThan(seq(rto), seq(afterStart))

        let verify = try h.run(["audit", "verify", h.auditPath])
        XCTAssertEqual(verify.status, 0, verify.stderr)

        let printed = try printedRTO(r.stdout)
        XCTAssertEqual(printed.seconds, String(format: "%.1f", seconds))
        XCTAssertEqual(printed.rest, " (objective 1h: met)")
        let lines = r.stdout.split(separator: "\n")
        XCTAssertTrue(lines.count >= 2 && lines[lines.count - 2].hasPrefix("RTO achieved: "), "the RTO line comes just before the summary:\n\(r.stdout)")
        XCTAssertTrue(lines.last?.hasPrefix("succeeded in ") == true, r.stdout)

        let row = try XCTUnwrap(try history().first)
        XCTAssertEqual(row["rto_seconds"] as? Double, seconds)
        XCTAssertEqual(row["rto_met"] as? Bool, true)
        XCTAssertEqual(row["rto_target_seconds"] as? Double, 3600)
        XCTAssertEqual(row["rto_until"] as? String, "health")

        let id = try XCTUnwrap(row["run"] as? String)
        let show = try h.run(["show", id])
        XCTAssertTrue(show.stdout.contains("\nrto       \(String(format: "%.2f", seconds))s until step health succeeded (objective 1h: met)\n"), show.stdout)
        let rtoInJournal = try XCTUnwrap(try h.journal(id)["rto"] as? [String: Any])
        XCTAssertEqual(rtoInJournal["seconds"] as? Double, seconds)
    }

    func testMissedObjectiveIsRecordedAsMissedAndReportedInJSON() throws {
        let r = try h.run(["run", "rto-missed", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let objects = try r.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(objects.suffix(2).map { $0["event"] as? String }, ["rto", "run.end"])
        let shown = try XCTUnwrap(objects.first { $0["event"] as? String == "rto" })
        XCTAssertEqual(shown["reached"] as? Bool, true)
        XCTAssertEqual(shown["met"] as? Bool, false)
        XCTAssertEqual(shown["until"] as? String, "health")
        XCTAssertEqual(shown["target"] as? String, "1s")
        XCTAssertEqual(shown["target_seconds"] as? Double, 1)
        let seconds = try XCTUnwrap(shown["seconds"] as? Double)
        XCTAssertGreaterThanOrEqual(seconds, 1.2)

        let audited = try XCTUnwrap(try auditEvents().first { $0["event"] as? String == "rto" })
        XCTAssertEqual(audited["status"] as? String, "missed")
        XCTAssertEqual(audited["duration"] as? Double, seconds)
        XCTAssertEqual((audited["data"] as? [String: Any])?["met"] as? Bool, false)
        XCTAssertEqual(try history().first?["rto_met"] as? Bool, false)
        XCTAssertEqual(try h.run(["audit", "verify", h.auditPath]).status, 0)
    }

    func testRunFailingBeforeTheStepClaimsNoRTO() throws {
        let r = try h.run(["run", "rto-fails"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("\nRTO: not reached (run failed before step health)\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("RTO achieved"), r.stdout)
        XCTAssertEqual(try auditEvents().filter { ($0["event"] as? String ?? "").hasPrefix("rto") }.count, 0)
        let row = try XCTUnwrap(try history().first)
        XCTAssertEqual(row["status"] as? String, "failed")
        XCTAssertNil(row["rto_seconds"])
        XCTAssertNil(try h.journal(try XCTUnwrap(row["run"] as? String))["rto"])
        XCTAssertEqual(try h.run(["audit", "verify", h.auditPath]).status, 0)

        let json = try h.run(["run", "rto-fails", "--format", "json"])
        XCTAssertEqual(json.status, 2)
        let shown = try XCTUnwrap(json.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { $0["event"] as? String == "rto" })
        XCTAssertEqual(shown["reached"] as? Bool, false)
        XCTAssertEqual(shown["until"] as? String, "health")
        XCTAssertEqual(shown["message"] as? String, "run failed before step health")
        XCTAssertNil(shown["seconds"])
    }

    /// Resumed: measured from the first session's start, once; a later resume that
    /// finds the step done keeps the figure instead of measuring again.
    func testResumedRunMeasuresFromTheOriginalStartAndOnlyOnce() throws {
        let started = Date()
        let first = try h.run(["run", "rto-resume"])
        XCTAssertEqual(first.status, 2, first.stdout + first.stderr)
        XCTAssertTrue(first.stdout.contains("RTO: not reached (run failed before step health)"), first.stdout)
        let id = try XCTUnwrap(h.runIDs.first)
        Thread.sleep(forTimeInterval: 1.0)
        _ = FileManager.default.createFile(atPath: h.work + "/ready", contents: Data())

        let second = try h.run(["resume", id])
        let secondEnded = Date()
        XCTAssertEqual(second.status, 2, "after fails until done exists: " + second.stdout + second.stderr)
        let measured = try XCTUnwrap(try auditEvents().first { $0["event"] as? String == "rto" })
        let seconds = try XCTUnwrap(measured["duration"] as? Double)
        // The first attempt's 0.5s, the 1s pause, and the resumed restore's 0.5s all count.
        XCTAssertGreaterThanOrEqual(seconds, 2.0)
        XCTAssertLessThanOrEqual(seconds, secondEnded.timeIntervalSince(started))
        XCTAssertEqual(try printedRTO(second.stdout).seconds, String(format: "%.1f", seconds), "the recovery held although a later step failed")

        _ = FileManager.default.createFile(atPath: h.work + "/done", contents: Data())
        let third = try h.run(["resume", id])
        XCTAssertEqual(third.status, 0, third.stdout + third.stderr)
        XCTAssertEqual(h.log, ["restore", "health", "after"])
        XCTAssertEqual(try auditEvents().filter { $0["event"] as? String == "rto" }.count, 1, "health was not run again, so not measured again")
        XCTAssertEqual(try printedRTO(third.stdout).seconds, String(format: "%.1f", seconds))
        XCTAssertEqual(try history().first?["rto_seconds"] as? Double, seconds)
        XCTAssertEqual(try h.journal(id)["sessions"] as? Int, 3)
        XCTAssertEqual(try h.run(["audit", "verify", h.auditPath]).status, 0)
    }

    /// A rollback that undoes the `until` step undoes the recovery: the figure is withdrawn.
    func testRollbackOfTheStepWithdrawsTheRTO() throws {
        let r = try h.run(["run", "rto-undone"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["health", "undo-health"])
        let events = try auditEvents()
        let measured = try XCTUnwrap(events.first { $0["event"] as? String == "rto" })
        let seconds = try XCTUnwrap(measured["duration"] as? Double)
        let withdrawn = try XCTUnwrap(events.first { $0["event"] as? String == "rto.withdrawn" })
        let rollbackEnd = try XCTUnwrap(events.first { $0["event"] as? String == "rollback.end" })
        XCTAssertLessThan(rollbackEnd["seq"] as? Int ?? 0, withdrawn["seq"] as? Int ?? 0)
        let reason = "step health was undone by the rollback after the recovery was measured at \(String(format: "%.1f", seconds))s"
        XCTAssertEqual(withdrawn["message"] as? String, reason)
        XCTAssertTrue(r.stdout.contains("\nRTO: not reached (\(reason))\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("RTO achieved"), r.stdout)
        let row = try XCTUnwrap(try history().first)
        XCTAssertEqual(row["status"] as? String, "failed-rolled-back")
        XCTAssertNil(row["rto_seconds"])
        XCTAssertEqual(try h.run(["audit", "verify", h.auditPath]).status, 0)
    }

    /// A succeeded run whose `until` step was skipped never proved the recovery.
    func testSkippedStepClaimsNoRTOAlthoughTheRunSucceeds() throws {
        let r = try h.run(["run", "rto-skipped"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["restore"])
        XCTAssertTrue(r.stdout.contains("\nRTO: not reached (step health was skipped)\n"), r.stdout)
        XCTAssertEqual(try auditEvents().filter { ($0["event"] as? String ?? "").hasPrefix("rto") }.count, 0)
        XCTAssertNil(try history().first?["rto_seconds"])
    }
}
