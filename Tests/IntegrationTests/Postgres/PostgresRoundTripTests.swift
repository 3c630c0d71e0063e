import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// Dump and restore through every format against a real PostgreSQL 15, comparing the
/// restored data with the source row for row (md5 of each table's ordered rows).
final class PostgresRoundTripTests: PostgresSuite {
    func testRoundTripThroughEveryFormatRestoresEveryRow() async throws {
        let source = try cluster.tableChecksums("shared_services_db")
        XCTAssertEqual(source["event_service.events"]?.hasPrefix("5000:"), true)
        for format in ["plain", "gzip", "custom", "directory"] {
            let dump = try await harness.run(Dump(), ["target": "db", "database": "shared_services_db", "dir": .string(backups),
                                                      "format": .string(format), "name": .string("shared-\(format)")])
            XCTAssertTrue(dump.succeeded, "\(format): \(dump.message ?? "")")
            let path = try XCTUnwrap(dump.outputs["path"]?.stringValue, format)
            XCTAssertEqual(try DumpSniffer.sniff(path: path), DumpFormat(rawValue: format))
            XCTAssertEqual(dump.outputs["sha256"]?.stringValue, try DumpDigest.sha256(of: path))

            let restored = "restored_\(format)"
            let created = try await harness.run(CreateDatabase(), ["target": "db", "database": .string(restored), "template": "template0"])
            XCTAssertTrue(created.succeeded, created.message ?? "")
            let restore = try await harness.run(Restore(), ["target": "db", "database": .string(restored), "from": .string(path), "jobs": 2])
            XCTAssertTrue(restore.succeeded, "\(format): \(restore.message ?? "")")
            XCTAssertEqual(restore.outputs["format"]?.stringValue, format)
            XCTAssertEqual(try cluster.tableChecksums(restored), source, "\(format) restore differs from the source")

            let againstManifest = try await harness.run(VerifyRestore(), ["target": "db", "database": .string(restored), "artifact": .string(path)])
            XCTAssertTrue(againstManifest.succeeded, againstManifest.message ?? "")
            let againstSource = try await harness.run(VerifyRestore(), ["target": "db", "database": .string(restored),
                                                                       "source_database": "shared_services_db", "method": "md5"])
            XCTAssertTrue(againstSource.succeeded, againstSource.message ?? "")
        }
    }

    func testManifestRecordsSizeChecksumVersionTimesAndExactRowCounts() async throws {
        let dump = try await harness.run(Dump(), ["target": "db", "database": "payment_service_db", "dir": .string(backups), "name": "pay"])
        XCTAssertTrue(dump.succeeded, dump.message ?? "")
        let record = try XCTUnwrap(try ManifestStore(directory: backups).read().record(named: "pay.dump"))
        XCTAssertEqual(record.database, "payment_service_db")
        XCTAssertEqual(record.format, .custom)
        XCTAssertEqual(record.size, try DurableFiles.size(backups + "/pay.dump"))
        XCTAssertEqual(record.sha256, try DumpDigest.sha256(of: backups + "/pay.dump"))
        XCTAssertEqual(record.serverVersion?.hasPrefix("15."), true, record.serverVersion ?? "nil")
        XCTAssertLessThanOrEqual(record.startedAt, record.finishedAt)
        XCTAssertTrue(record.verified)
        XCTAssertEqual(record.runID, "run-1")
        let expected = try cluster.psql("payment_service_db", "SELECT (SELECT count(*) FROM payment_service.payments) || ',' || (SELECT count(*) FROM pgbench_accounts) || ',' || (SELECT count(*) FROM pgbench_history)")
        let counts = record.rowCounts ?? [:]
        XCTAssertEqual("\(counts["payment_service.payments"] ?? -1),\(counts["public.pgbench_accounts"] ?? -1),\(counts["public.pgbench_history"] ?? -1)", expected)
        XCTAssertEqual(counts.count, 5, "payments + 4 pgbench tables: \(counts)")
        XCTAssertEqual(directoryListing(backups), [".manifest.lock", "manifest.json", "pay.dump"])
        XCTAssertTrue(harness.auditEvents.contains { $0.0 == "postgres.artifact" && $0.1["sha256"]?.stringValue == record.sha256 })
    }

    func testGlobalsDumpHoldsTheRolesAndIsRecorded() async throws {
        try cluster.psql("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'event_service') THEN CREATE ROLE event_service LOGIN; END IF; END $$")
        let dump = try await harness.run(DumpGlobals(), ["target": "db", "dir": .string(backups), "name": "globals"])
        XCTAssertTrue(dump.succeeded, dump.message ?? "")
        let text = try String(contentsOfFile: backups + "/globals.sql", encoding: .utf8)
        XCTAssertTrue(text.contains("CREATE ROLE event_service;"))
        let record = try XCTUnwrap(try ManifestStore(directory: backups).read().record(named: "globals.sql"))
        XCTAssertEqual(record.kind, .globals)
        XCTAssertNil(record.rowCounts)
    }

    func testAMisnamedArtifactIsRestoredByItsRealFormat() async throws {
        let dump = try await harness.run(Dump(), ["target": "db", "database": "user_service_db", "dir": .string(backups),
                                                  "format": "custom", "name": "users.sql"])
        XCTAssertTrue(dump.succeeded, dump.message ?? "")
        let path = try XCTUnwrap(dump.outputs["path"]?.stringValue)
        XCTAssertTrue(path.hasSuffix("users.sql.dump"))
        // Rename it to look like SQL text; the manifest is updated to match, as an operator would.
        let misnamed = backups + "/users.sql"
        XCTAssertEqual(rename(path, misnamed), 0)
        try ManifestStore(directory: backups).update { m in m.artifacts[m.artifacts.count - 1].path = "users.sql" }
        _ = try await harness.run(CreateDatabase(), ["target": "db", "database": "users_misnamed", "template": "template0"])
        let restore = try await harness.run(Restore(), ["target": "db", "database": "users_misnamed", "from": .string(misnamed)])
        XCTAssertTrue(restore.succeeded, restore.message ?? "")
        XCTAssertEqual(restore.outputs["format"]?.stringValue, "custom")
        XCTAssertEqual(try cluster.tableChecksums("users_misnamed"), try cluster.tableChecksums("user_service_db"))
    }

    func testLatestPicksTheNewestVerifiedBackupByManifestTime() async throws {
        var paths: [String] = []
        for i in 1...3 {
            let dump = try await harness.run(Dump(), ["target": "db", "database": "user_service_db", "dir": .string(backups),
                                                      "name": .string("users-\(i)")], runID: "run-\(i)")
            XCTAssertTrue(dump.succeeded, dump.message ?? "")
            paths.append(try XCTUnwrap(dump.outputs["path"]?.stringValue))
        }
        // Make the first file the most recently modified: latest must ignore mtimes.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(3600)], ofItemAtPath: paths[0])
        let latest = try await harness.run(LatestBackup(), ["dir": .string(backups), "database": "user_service_db"])
        XCTAssertEqual(latest.outputs["path"]?.stringValue, paths[2])
        // A failed restore test withdraws "verified"; latest then falls back to the one before.
        let recorded = try await harness.run(RecordVerification(), ["artifact": .string(paths[2]), "passed": false, "detail": "test"])
        XCTAssertTrue(recorded.succeeded, recorded.message ?? "")
        let fallback = try await harness.run(LatestBackup(), ["dir": .string(backups), "database": "user_service_db"])
        XCTAssertEqual(fallback.outputs["path"]?.stringValue, paths[1])
    }
}
