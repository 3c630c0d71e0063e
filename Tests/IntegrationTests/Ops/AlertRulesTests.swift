import Foundation
import XCTest

/// contrib/prometheus/alerts.yml, checked and unit-tested by the real promtool: each of the seven
/// alerts fires on its test input and stays quiet on the other (alerts.test.yml).
final class AlertRulesTests: XCTestCase {
    static var contrib: String { PITRRunbookCLI.repoRoot + "/contrib/prometheus" }

    func testPromtoolAcceptsTheSevenAlertRules() throws {
        let promtool = try OpsTools.require("promtool", package: "prometheus")
        let out = try OpsTools.run([promtool, "check", "rules", Self.contrib + "/alerts.yml"])
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        XCTAssertTrue(out.stdout.contains("SUCCESS: 7 rules found"), out.stdout)
    }

    func testEachAlertFiresAndStaysQuietInPromtoolsUnitTests() throws {
        let promtool = try OpsTools.require("promtool", package: "prometheus")
        let tests = try String(contentsOfFile: Self.contrib + "/alerts.test.yml", encoding: .utf8)
        for alert in ["RunbookBackupTooOld", "RunbookRestoreTestTooOld", "RunbookWALArchiveLagging", "RunbookRunFailed",
                      "RunbookOffsiteBackupTooOld", "RunbookOffsiteRepositoryUnreadable", "RunbookOffsiteBaseBackupUnrecoverable"] {
            let cases = tests.components(separatedBy: "alertname: \(alert)\n").dropFirst()
            XCTAssertTrue(cases.contains { $0.hasPrefix("        exp_alerts: []") }, "\(alert) has no not-firing case")
            XCTAssertTrue(cases.contains { $0.hasPrefix("        exp_alerts:\n") }, "\(alert) has no firing case")
        }
        let out = try OpsTools.run([promtool, "test", "rules", Self.contrib + "/alerts.test.yml"])
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        XCTAssertTrue(out.stdout.contains("SUCCESS"), out.stdout)
    }
}
