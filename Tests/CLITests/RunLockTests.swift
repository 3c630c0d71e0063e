import Foundation
import XCTest

final class RunLockTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    func testSecondRunSharingALockIsRefusedNamingTheHolder() throws {
        let (p, out, err) = h.process(["run", "locked"])
        try p.run()
        h.waitFor("the first run to hold the lock") { FileManager.default.fileExists(atPath: h.work + "/holding") }
        let holderID = try XCTUnwrap(h.runIDs.first)

        let second = try h.run(["run", "also-locked"])
        XCTAssertEqual(second.status, 5, second.stdout + second.stderr)
        XCTAssertTrue(second.stderr.contains("lock \"shared-db\" is held by run \(holderID) (pid \(p.processIdentifier)"), second.stderr)
        XCTAssertEqual(h.file("also"), "", "the refused run ran nothing")

        let sameRunbook = try h.run(["run", "locked"])
        XCTAssertEqual(sameRunbook.status, 5)

        let waited = try h.run(["run", "also-locked", "--wait-lock", "20s"])
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertEqual(h.file("also"), "ran\n")
        XCTAssertEqual(try h.finish(p, out, err).status, 0)
        XCTAssertTrue(h.auditText.contains("\"event\":\"run.refused\""))
    }

    /// Parallel iterations of one run take a nested runbook's locks together: the run holds
    /// them once, and no iteration is refused by its own run (disaster-recovery's restores).
    func testParallelNestedRunsOfOneRunShareTheirLocks() throws {
        for attempt in 1...3 {
            let r = try h.run(["run", "parallel-locked"])
            XCTAssertEqual(r.status, 0, "attempt \(attempt): " + r.stdout + r.stderr)
            XCTAssertFalse(r.stdout.contains("is held by"), r.stdout)
            XCTAssertEqual(h.log.sorted(), ["a", "b", "c", "d", "e", "f", "g", "h"], "attempt \(attempt)")
            try FileManager.default.removeItem(atPath: h.work + "/log")
        }
        let other = try h.run(["run", "also-locked"])
        XCTAssertEqual(other.status, 0, "the locks were released at the end of each run: " + other.stderr)
    }
}
