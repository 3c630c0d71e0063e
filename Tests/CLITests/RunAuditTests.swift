import Foundation
import XCTest

/// `runbook audit verify`, `history` and `show` on the records of real runs.
final class RunAuditTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    func testHandEditedAuditFileFailsVerifyNamingTheLine() throws {
        XCTAssertEqual(try h.run(["run", "fail-rollback"]).status, 2)
        XCTAssertEqual(try h.run(["audit", "verify", h.auditPath]).status, 0)
        var lines = h.auditText.split(separator: "\n").map(String.init)
        let target = try XCTUnwrap(lines.firstIndex { $0.contains("\"event\":\"step.end\"") && $0.contains("\"step\":\"three\"") })
        lines[target] = lines[target].replacingOccurrences(of: "\"exit_status\":3", with: "\"exit_status\":0")
        try (lines.joined(separator: "\n") + "\n").write(toFile: h.auditPath, atomically: true, encoding: .utf8)

        let r = try h.run(["audit", "verify", h.auditPath])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("\(h.auditPath):\(target + 1): error:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("edited"), r.stderr)
    }

    func testDeletedAuditLineFailsVerify() throws {
        XCTAssertEqual(try h.run(["run", "fail-rollback"]).status, 2)
        var lines = h.auditText.split(separator: "\n").map(String.init)
        lines.remove(at: 4)
        try (lines.joined(separator: "\n") + "\n").write(toFile: h.auditPath, atomically: true, encoding: .utf8)
        let r = try h.run(["audit", "verify", h.auditPath])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(":5: error:"), r.stderr)
    }

    func testHistoryAndShow() throws {
        XCTAssertEqual(try h.run(["run", "fail-rollback", "--operator", "alice"]).status, 2)
        XCTAssertEqual(try h.run(["run", "parent"]).status, 0)

        let json = try h.run(["history", "--format", "json"])
        XCTAssertEqual(json.status, 0)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["runbook"] as? String }, ["parent", "fail-rollback"], "newest first")
        XCTAssertEqual(rows.map { $0["status"] as? String }, ["succeeded", "failed-rolled-back"])
        XCTAssertEqual(rows[1]["operator"] as? String, "alice")

        let table = try h.run(["history"])
        XCTAssertTrue(table.stdout.hasPrefix("RUN"), table.stdout)
        XCTAssertTrue(table.stdout.contains("failed-rolled-back"))

        let id = try XCTUnwrap(rows[1]["run"] as? String)
        let show = try h.run(["show", id])
        XCTAssertEqual(show.status, 0)
        XCTAssertTrue(show.stdout.contains("status    failed-rolled-back"), show.stdout)
        XCTAssertTrue(show.stdout.contains("three"))
        XCTAssertTrue(show.stdout.contains("disk full"), show.stdout)
        let unknown = try h.run(["show", "20990101T000000Z-000000"])
        XCTAssertNotEqual(unknown.status, 0)
    }
}
