import Foundation
@testable import RunbookActions
import XCTest

/// The metrics file's text for a fixed inventory, byte for byte, and the rules it follows:
/// base units in names, escaped label values, families without samples left out.
final class PrometheusTextTests: XCTestCase {
    static let at = Date(timeIntervalSince1970: 1_764_900_000)

    static func inventory(profile: String = "prod") -> BackupInventory {
        let finished = at.addingTimeInterval(-3600)
        let locations = BackupLocations.resolve(dumps: "/b", journals: [])
        let db = DatabaseBackups(database: "app_db",
                                 newest: BackupArtifact(path: "app_db-1.dump", finishedAt: finished, ageSeconds: 3600, sizeBytes: 4096,
                                                        format: "custom", verified: true),
                                 kept: 3, lastChecksum: finished,
                                 lastRestoreTest: RestoreTestSummary(artifact: "app_db-1.dump", at: at.addingTimeInterval(-60), ageSeconds: 60,
                                                                     passed: true, restoreSeconds: 2.5))
        let run = RunSummary(runbook: "disaster-recovery", runID: "r", status: "failed", startedAt: at.addingTimeInterval(-100), endedAt: at,
                             durationSeconds: 99.5, rtoSeconds: 90, rtoTargetSeconds: 14400, rtoMet: true)
        return BackupInventory(generatedAt: at, profile: profile, locations: locations, databases: [db], globals: nil, walArchive: nil,
                               media: nil, offsite: .notConfigured, runs: [run], problems: [])
    }

    func testAFixedInventoryRendersExactly() {
        let text = PrometheusText.render(Self.inventory())
        let expected = """
            # HELP runbook_last_run_timestamp_seconds When the newest run of the runbook started.
            # TYPE runbook_last_run_timestamp_seconds gauge
            runbook_last_run_timestamp_seconds{profile="prod",runbook="disaster-recovery"} 1764899900
            # HELP runbook_last_run_duration_seconds How long the newest run of the runbook took.
            # TYPE runbook_last_run_duration_seconds gauge
            runbook_last_run_duration_seconds{profile="prod",runbook="disaster-recovery"} 99.500
            # HELP runbook_last_run_success 1 if the newest run of the runbook succeeded, else 0.
            # TYPE runbook_last_run_success gauge
            runbook_last_run_success{profile="prod",runbook="disaster-recovery"} 0
            # HELP runbook_last_run_status The newest run's status, as a label (value always 1).
            # TYPE runbook_last_run_status gauge
            runbook_last_run_status{profile="prod",runbook="disaster-recovery",status="failed"} 1
            # HELP runbook_rto_achieved_seconds The recovery time the newest run of the runbook achieved.
            # TYPE runbook_rto_achieved_seconds gauge
            runbook_rto_achieved_seconds{profile="prod",runbook="disaster-recovery"} 90
            # HELP runbook_rto_objective_seconds The runbook's recovery time objective.
            # TYPE runbook_rto_objective_seconds gauge
            runbook_rto_objective_seconds{profile="prod",runbook="disaster-recovery"} 14400
            # HELP runbook_rto_met 1 if the newest run met its recovery time objective, else 0.
            # TYPE runbook_rto_met gauge
            runbook_rto_met{profile="prod",runbook="disaster-recovery"} 1
            # HELP runbook_backup_newest_timestamp_seconds When the database's newest verified dump finished.
            # TYPE runbook_backup_newest_timestamp_seconds gauge
            runbook_backup_newest_timestamp_seconds{database="app_db",profile="prod"} 1764896400
            # HELP runbook_backup_newest_size_bytes Size of the database's newest verified dump.
            # TYPE runbook_backup_newest_size_bytes gauge
            runbook_backup_newest_size_bytes{database="app_db",profile="prod"} 4096
            # HELP runbook_backups_kept Dumps of the database the manifest keeps.
            # TYPE runbook_backups_kept gauge
            runbook_backups_kept{database="app_db",profile="prod"} 3
            # HELP runbook_backup_last_checksum_timestamp_seconds When the newest dump's sha256 and read-back check passed.
            # TYPE runbook_backup_last_checksum_timestamp_seconds gauge
            runbook_backup_last_checksum_timestamp_seconds{database="app_db",profile="prod"} 1764896400
            # HELP runbook_backup_last_restore_test_timestamp_seconds When the database's newest restore test ran.
            # TYPE runbook_backup_last_restore_test_timestamp_seconds gauge
            runbook_backup_last_restore_test_timestamp_seconds{database="app_db",profile="prod"} 1764899940
            # HELP runbook_backup_last_restore_test_success 1 if the newest restore test passed, else 0.
            # TYPE runbook_backup_last_restore_test_success gauge
            runbook_backup_last_restore_test_success{database="app_db",profile="prod"} 1
            # HELP runbook_backup_last_restore_test_duration_seconds How long the newest restore test's restore took (its RTO evidence).
            # TYPE runbook_backup_last_restore_test_duration_seconds gauge
            runbook_backup_last_restore_test_duration_seconds{database="app_db",profile="prod"} 2.500
            # HELP runbook_offsite_repository_configured 1 if the profile has an offsite repository target, else 0.
            # TYPE runbook_offsite_repository_configured gauge
            runbook_offsite_repository_configured{profile="prod"} 0
            # HELP runbook_metrics_timestamp_seconds When runbook wrote this file.
            # TYPE runbook_metrics_timestamp_seconds gauge
            runbook_metrics_timestamp_seconds{profile="prod"} 1764900000

            """
        XCTAssertEqual(text, expected)
    }

    func testLabelValuesAreEscaped() {
        XCTAssertEqual(PrometheusText.escape(#"a"b\c"# + "\nd"), #"a\"b\\c\nd"#)
        let text = PrometheusText.render(Self.inventory(profile: "we\"ird"))
        XCTAssertTrue(text.contains(#"profile="we\"ird""#), text)
    }

    func testTheFileIsReplacedWholeAndNoTemporaryFileStays() throws {
        let dir = NSTemporaryDirectory() + "rb-metrics-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try MetricsFile.write("old 1\n", to: dir + "/runbook.prom")
        try MetricsFile.write("new 2\n", to: dir + "/runbook.prom")
        XCTAssertEqual(try String(contentsOfFile: dir + "/runbook.prom", encoding: .utf8), "new 2\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["runbook.prom"])
    }
}
