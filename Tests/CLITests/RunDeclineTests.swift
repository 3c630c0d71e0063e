import Foundation
import XCTest

/// A confirmation declined at a real terminal: refused (5) when nothing had run yet, failed (2)
/// with a `resume` hint once an earlier step had completed; the README's table says the same.
extension RunTerminalTests {
    func testDeclinedBeforeAnyStepCompletedIsRefusedAndNothingRuns() throws {
        try FileManager.default.createDirectory(atPath: h.work + "/victim", withIntermediateDirectories: true)
        let r = try onTerminal(["run", "confirm-first"], typing: ["no"])
        XCTAssertEqual(r.status, 5, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("nothing ran"), r.stdout)
        XCTAssertFalse(r.stdout.contains("runbook resume"), "nothing to resume: \(r.stdout)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: h.work + "/victim"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.work + "/after"))
        let journal = h.journalText(try XCTUnwrap(h.runIDs.first))
        XCTAssertTrue(journal.contains("\"status\" : \"refused\"") || journal.contains("\"status\":\"refused\""), journal)
    }

    func testDeclinedAfterAStepCompletedFailsWithExitTwoAndSuggestsResume() throws {
        try FileManager.default.createDirectory(atPath: h.work + "/victim", withIntermediateDirectories: true)
        // `destructive` ticks a checklist item first, so the declined step comes after a completed one.
        let r = try onTerminal(["run", "destructive"], typing: ["", "no"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("runbook resume"), r.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: h.work + "/victim"))
    }

    func testTheReadmeExitCodeTableSaysWhatADeclineExitsWith() throws {
        let readme = try String(contentsOfFile: RunHarness.packageRoot + "/README.md", encoding: .utf8)
        let row2 = try XCTUnwrap(readme.split(separator: "\n").first { $0.hasPrefix("| 2 |") })
        let row5 = try XCTUnwrap(readme.split(separator: "\n").first { $0.hasPrefix("| 5 |") })
        XCTAssertTrue(row2.contains("confirmation was declined after at least one step had completed"), String(row2))
        XCTAssertTrue(row5.contains("confirmation declined before any step had completed"), String(row5))
    }
}
