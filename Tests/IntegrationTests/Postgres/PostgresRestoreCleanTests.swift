import Foundation
@testable import RunbookActions
import XCTest

/// `restore-clean` run for real with the suite's db-only profile (no compose `stack`, as on
/// profiles/local.yaml), through the built binary.
extension PostgresRunbookCLITests {
    static let restoreCleanDatabase = "shared_services_db"

    /// The database's oid: a drop and create gives a new one, so an unchanged oid proves
    /// nothing was dropped.
    func databaseOID(_ name: String) throws -> String {
        try cluster.psql("postgres", "SELECT oid FROM pg_database WHERE datname = '\(name)'")
    }

    func backUpForRestoreClean() throws -> String {
        let db = Self.restoreCleanDatabase
        let backup = try run(["run", "backup-database", "--param", "database=\(db)", "--param", "backup_dir=\(backups)"])
        XCTAssertEqual(backup.status, 0, backup.output)
        let record = try XCTUnwrap(try manifest().artifacts.first { $0.database == db })
        return backups + "/" + record.path
    }

    /// `run restore-clean --param manage_stack=false` on the suite's database, with `params` added.
    func restoreClean(_ params: [String]) throws -> CLIResult {
        try run(["run", "restore-clean", "--param", "manage_stack=false", "--param", "database=\(Self.restoreCleanDatabase)"]
                + params.flatMap { ["--param", $0] })
    }

    func testRestoreCleanWithoutComposeBringsBackEveryRow() throws {
        let db = Self.restoreCleanDatabase
        let source = try cluster.tableChecksums(db)
        _ = try backUpForRestoreClean()
        try cluster.psql(db, """
            DELETE FROM event_service.events WHERE id % 3 = 0;
            UPDATE notification_service.templates SET body = 'changed';
            CREATE TABLE public.stray AS SELECT 1 AS id
            """)
        XCTAssertNotEqual(try cluster.tableChecksums(db), source)
        let oid = try databaseOID(db)

        let restore = try restoreClean(["backup_dir=\(backups)"])
        XCTAssertEqual(restore.status, 0, restore.output)
        XCTAssertEqual(try cluster.tableChecksums(db), source, "every table row for row; the stray table is gone")
        XCTAssertNotEqual(try databaseOID(db), oid, "the database was dropped and created again")
        XCTAssertFalse(restore.output.contains("docker"), restore.output)
    }

    func testRestoreCleanThatWouldStopComposeServicesIsRefusedWithoutAStackTarget() throws {
        let db = Self.restoreCleanDatabase
        _ = try backUpForRestoreClean()
        let oid = try databaseOID(db)
        let refused = try run(["run", "restore-clean", "--param", "database=\(db)", "--param", "backup_dir=\(backups)"])
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.output.contains(#"has no target "stack", which step "stop-services" uses: its when: ${params.manage_stack} holds with these params"#),
                      refused.output)
        XCTAssertEqual(try databaseOID(db), oid, "nothing ran")
    }

    func testRestoreCleanRefusesACorruptArtifactBeforeDroppingAnything() throws {
        let db = Self.restoreCleanDatabase
        let artifact = try backUpForRestoreClean()
        let data = try cluster.tableChecksums(db)
        let oid = try databaseOID(db)
        // One byte changed in the middle: the file still reads as a custom archive.
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: artifact))
        let middle = try handle.seekToEnd() / 2
        try handle.seek(toOffset: middle)
        let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: middle)
        try handle.write(contentsOf: Data([byte ^ 0xff]))
        try handle.close()

        let corrupt = try restoreClean(["backup_dir=\(backups)"])
        XCTAssertEqual(corrupt.status, 2, corrupt.output)
        XCTAssertTrue(corrupt.output.contains("its sha256 is"), corrupt.output)
        XCTAssertEqual(try databaseOID(db), oid, "not dropped")
        XCTAssertEqual(try cluster.tableChecksums(db), data)
    }

    func testRestoreCleanRefusesAMissingArtifactBeforeDroppingAnything() throws {
        let db = Self.restoreCleanDatabase
        let artifact = try backUpForRestoreClean()
        let data = try cluster.tableChecksums(db)
        let oid = try databaseOID(db)

        let named = try restoreClean(["dump=\(backups)/no-such.dump"])
        XCTAssertEqual(named.status, 2, named.output)
        XCTAssertTrue(named.output.contains("no-such.dump"), named.output)

        XCTAssertEqual(unlink(artifact), 0)
        let latest = try restoreClean(["backup_dir=\(backups)"])
        XCTAssertEqual(latest.status, 2, latest.output)
        XCTAssertTrue(latest.output.contains("is missing on disk"), latest.output)

        XCTAssertEqual(try databaseOID(db), oid, "not dropped")
        XCTAssertEqual(try cluster.tableChecksums(db), data)
    }
}
