import Foundation
import XCTest

/// `runbook plan` of the restores with `dump: latest` (their default): the manifest is a local
/// file, so the plan names the backup `latest` is now, says where it read that, and says the
/// run resolves it again; later steps plan with that file instead of `<steps...>` placeholders.
final class PlanLatestTests: XCTestCase {
    var backups: URL!
    let artifact = "shared_services_db-20240115-030000.dump"

    override func setUpWithError() throws {
        backups = try CLI.temporaryDirectory()
        try CLI.write("PGDMP\u{1}\u{e}\u{0}fake archive body", to: backups.appendingPathComponent(artifact))
        try CLI.write("""
        {
          "version": 1,
          "artifacts": [
            {"database": "shared_services_db", "kind": "database", "format": "custom", "path": "\(artifact)",
             "size": 1536000, "sha256": "9f2c5e0b7a1d4c3e8f6a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e",
             "started_at": "2024-01-15T02:59:51.000Z", "finished_at": "2024-01-15T03:00:07.000Z", "verified": true,
             "row_counts": {"event_service.events": 5000}}
          ]
        }
        """, to: backups.appendingPathComponent("manifest.json"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: backups)
    }

    func plan(_ runbook: String) throws -> String {
        let r = try RunbookBinary.run(["plan", runbook, "--profile", "production", "--param", "backup_dir=\(backups.path)",
                                       "--state-dir", "/var/lib/runbook"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func testRestoreCleanPlanNamesTheBackupLatestIsNowAndTheStepsUseIt() throws {
        let out = try plan("restore-clean")
        let path = backups.appendingPathComponent(artifact).path
        XCTAssertTrue(out.contains("latest is now \(path), taken 2024-01-15T03:00:07.000Z ("), out)
        XCTAssertTrue(out.contains("1.5 MiB, verified (read back when written; never restore-tested)"), out)
        XCTAssertTrue(out.contains("as named by \(backups.path)/manifest.json; the run reads that manifest again"), out)
        XCTAssertFalse(out.contains("<steps.check-artifact.outputs"), out)
        XCTAssertTrue(out.contains("confirm: Drops shared_services_db and everything in it, then restores into it \(path), taken"), out)
        XCTAssertTrue(out.contains("uses the outputs of check-artifact as they would be now"), out)
        XCTAssertTrue(out.contains("pg_restore") && out.contains(path), out)
    }

    func testRestoreDatabasePlanNamesTheBackupLatestIsNow() throws {
        let out = try plan("restore-database")
        XCTAssertTrue(out.contains("latest is now \(backups.appendingPathComponent(artifact).path), taken 2024-01-15T03:00:07.000Z"), out)
        XCTAssertTrue(out.contains("the run reads that manifest again when it gets here"), out)
    }

    func testWithoutAManifestThePlanSaysWhereTheRunWillReadIt() throws {
        try FileManager.default.removeItem(at: backups.appendingPathComponent("manifest.json"))
        let out = try plan("restore-database")
        XCTAssertTrue(out.contains("latest: the run reads \(backups.path)/manifest.json when it gets here"), out)
    }
}
