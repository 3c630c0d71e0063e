import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// Restoring over a database that already holds (different) data: the clean path
/// (recreate, then restore) and the in-place path (pg_restore --clean --if-exists).
final class PostgresRestoreOverDataTests: PostgresSuite {
    private func dumpShared() async throws -> (path: String, checksums: [String: String]) {
        let checksums = try cluster.tableChecksums("shared_services_db")
        let dump = try await harness.run(Dump(), ["target": "db", "database": "shared_services_db", "dir": .string(backups), "name": "shared"])
        XCTAssertTrue(dump.succeeded, dump.message ?? "")
        return (try XCTUnwrap(dump.outputs["path"]?.stringValue), checksums)
    }

    /// A copy of the backup, then changed in every way: rows deleted and altered, a table dropped, one added.
    private func divergedCopy(_ name: String, from path: String) async throws {
        let created = try await harness.run(CreateDatabase(), ["target": "db", "database": .string(name), "template": "template0"])
        XCTAssertTrue(created.succeeded, created.message ?? "")
        let restored = try await harness.run(Restore(), ["target": "db", "database": .string(name), "from": .string(path)])
        XCTAssertTrue(restored.succeeded, restored.message ?? "")
        try cluster.psql(name, """
            DELETE FROM event_service.events WHERE id % 3 = 0;
            UPDATE event_service.events SET title = 'changed' WHERE id % 5 = 1;
            DROP TABLE notification_service.outbox;
            CREATE TABLE public.added_after_backup AS SELECT generate_series(1, 10) AS x;
            """)
    }

    func testRestoreCleanRecreatesTheDatabaseAndRestoresItExactly() async throws {
        let (path, source) = try await dumpShared()
        try await divergedCopy("clean_target", from: path)
        XCTAssertNotEqual(try cluster.tableChecksums("clean_target"), source)

        // A client is still connected, as the services would be.
        let session = try cluster.openSession("clean_target")
        defer { session.terminate() }

        let integrity = try await harness.run(VerifyArtifact(), ["from": .string(path)])
        XCTAssertTrue(integrity.succeeded, integrity.message ?? "")
        let recreated = try await harness.run(RecreateDatabase(), ["target": "db", "database": "clean_target", "terminate_connections": true])
        XCTAssertTrue(recreated.succeeded, recreated.message ?? "")
        XCTAssertEqual(try cluster.psql("clean_target", "SELECT count(*) FROM pg_class WHERE relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)"), "0")
        let restored = try await harness.run(Restore(), ["target": "db", "database": "clean_target", "from": .string(path), "jobs": 2])
        XCTAssertTrue(restored.succeeded, restored.message ?? "")
        XCTAssertEqual(try cluster.tableChecksums("clean_target"), source)
        let verified = try await harness.run(VerifyRestore(), ["target": "db", "database": "clean_target", "artifact": .string(path), "exact": true])
        XCTAssertTrue(verified.succeeded, verified.message ?? "")
    }

    func testInPlaceCleanRestoreReplacesTheBackedUpTablesAndVerificationSeesLeftovers() async throws {
        let (path, source) = try await dumpShared()
        try await divergedCopy("inplace_target", from: path)
        let restored = try await harness.run(Restore(), ["target": "db", "database": "inplace_target", "from": .string(path), "clean": true])
        XCTAssertTrue(restored.succeeded, restored.message ?? "")
        var after = try cluster.tableChecksums("inplace_target")
        XCTAssertEqual(after.removeValue(forKey: "public.added_after_backup")?.hasPrefix("10:"), true, "pg_restore --clean only drops what the archive has")
        XCTAssertEqual(after, source)

        let lenient = try await harness.run(VerifyRestore(), ["target": "db", "database": "inplace_target", "artifact": .string(path)])
        XCTAssertTrue(lenient.succeeded, lenient.message ?? "")
        let exact = try await harness.run(VerifyRestore(), ["target": "db", "database": "inplace_target", "artifact": .string(path), "exact": true])
        XCTAssertFalse(exact.succeeded)
        XCTAssertEqual(exact.message, "1 of 3 tables differ: public.added_after_backup: not in the expected set")
    }

    func testVerificationNamesTheTablesWhoseCountsDiffer() async throws {
        let (path, _) = try await dumpShared()
        try await divergedCopy("diverged_only", from: path)
        let result = try await harness.run(VerifyRestore(), ["target": "db", "database": "diverged_only", "artifact": .string(path)])
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.message, "2 of 3 tables differ: event_service.events: rows 3334, expected 5000; notification_service.outbox: missing")
    }
}
