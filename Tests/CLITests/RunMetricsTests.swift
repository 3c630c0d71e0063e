import Foundation
import XCTest

/// `run --metrics-file`: the textfile-collector file is rewritten after every run with each
/// runbook's last run (and RTO where the runbook has one), and failing to write it never
/// changes the run's exit code.
final class RunMetricsTests: XCTestCase {
    var h: RunHarness!

    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    func testEachRunRewritesTheFileWithEveryRunbooksLastRun() throws {
        let file = h.work + "/runbook.prom"
        let failed = try h.run(["run", "fail-rollback", "--yes", "--metrics-file", file])
        XCTAssertEqual(failed.status, 2, failed.stderr)
        var text = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertTrue(text.contains("\nrunbook_last_run_success{runbook=\"fail-rollback\"} 0\n"), text)
        XCTAssertTrue(text.contains("\nrunbook_last_run_status{runbook=\"fail-rollback\",status=\"failed-rolled-back\"} 1\n"), text)

        let met = try h.run(["run", "rto-met", "--yes", "--metrics-file", file])
        XCTAssertEqual(met.status, 0, met.stderr)
        text = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertTrue(text.contains("\nrunbook_last_run_success{runbook=\"fail-rollback\"} 0\n"), text)
        XCTAssertTrue(text.contains("\nrunbook_last_run_success{runbook=\"rto-met\"} 1\n"), text)
        XCTAssertTrue(text.contains("\nrunbook_rto_met{runbook=\"rto-met\"} 1\n"), text)
        XCTAssertTrue(text.contains("# TYPE runbook_rto_achieved_seconds gauge\nrunbook_rto_achieved_seconds{runbook=\"rto-met\"} "), text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: h.work).filter { $0.contains("runbook.prom") }, ["runbook.prom"])
    }

    func testAMetricsFileThatCannotBeWrittenIsAWarningNotAFailure() throws {
        let file = h.work + "/missing-dir/runbook.prom"
        let r = try h.run(["run", "rto-met", "--yes", "--metrics-file", file])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("runbook: warning: metrics file \(file) not written:"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file))
    }
}
