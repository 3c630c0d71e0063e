import XCTest
@testable import RunbookActions

/// The pure logic of base backups in the repository: which entries make a complete backup,
/// and what `pg_basebackup -v` reports when its tar goes to stdout.
final class BaseBackupOffsiteTests: XCTestCase {
    func entry(_ metadata: [String: String]?) -> RepositoryStore.Pushed {
        RepositoryStore.Pushed(key: "k", plaintextSize: 1, plaintextSHA256: "p", ciphertextSize: 2, ciphertextSHA256: "c",
                               pushedAt: "2024-01-15T03:00:00Z", metadata: metadata)
    }

    func testABackupIsCompleteOnlyWhenEveryFileIsListedWithItsRecord() throws {
        let whole = CatalogTests.record("b1", start: 2, stopLSN: "0/2000100", stopTime: "2024-01-15T06:00:00.000000Z")
        let partial = CatalogTests.record("b2", start: 8, stopLSN: "0/8000100", stopTime: "2024-01-15T12:00:00.000000Z")
        let unrecorded = CatalogTests.record("b3", start: 12, stopLSN: "0/C000100", stopTime: "2024-01-15T18:00:00.000000Z")
        var entries: [String: RepositoryStore.Pushed] = [:]
        for file in whole.files { entries[BaseBackupOffsite.entryName(id: "b1", file: file)] = entry(try BaseBackupOffsite.metadata(whole)) }
        // b2: pg_wal.tar.gz never arrived (an interrupted push).
        for file in partial.files.dropLast() { entries[BaseBackupOffsite.entryName(id: "b2", file: file)] = entry(try BaseBackupOffsite.metadata(partial)) }
        // b3: every file pushed, the record on all but one (killed between the metadata writes).
        for file in unrecorded.files { entries[BaseBackupOffsite.entryName(id: "b3", file: file)] = entry(try BaseBackupOffsite.metadata(unrecorded)) }
        entries[BaseBackupOffsite.entryName(id: "b3", file: "backup_manifest")] = entry(nil)
        entries["base/stray"] = entry(nil)

        let (catalog, incomplete) = BaseBackupOffsite.catalog(entries)
        XCTAssertEqual(catalog.backups, [whole])
        XCTAssertEqual(incomplete, ["b2", "b3"])
        XCTAssertEqual(catalog.newest(usableFor: .latest)?.id, "b1", "an incomplete backup is never chosen, however new")
    }

    func testTheRecordInTheMetadataIsTheCatalogEntry() throws {
        let record = CatalogTests.record("b1", start: 2, stopLSN: "0/2000100", stopTime: "2024-01-15T06:00:00.000000Z")
        let text = try XCTUnwrap(try BaseBackupOffsite.metadata(record)["record"])
        XCTAssertEqual(try JSONDecoder().decode(BaseBackupRecord.self, from: Data(text.utf8)), record)
        XCTAssertTrue(text.contains("\"start_lsn\":\"0/2000000\""), text)
        XCTAssertTrue(text.contains("\"stop_time\":\"2024-01-15T06:00:00.000000Z\""), text)
    }

    func testStartAndEndPointsAreReadFromPgBasebackupVerbose() {
        let stderr = """
            pg_basebackup: initiating base backup, waiting for checkpoint to complete
            pg_basebackup: checkpoint completed
            pg_basebackup: write-ahead log start point: 0/5000028 on timeline 3
            pg_basebackup: write-ahead log end point: 0/5000138
            pg_basebackup: syncing data to disk ...
            pg_basebackup: base backup completed
            """
        let progress = BasebackupProgress(stderr)
        XCTAssertEqual(progress.start, LSN(0x500_0028))
        XCTAssertEqual(progress.timeline, 3)
        XCTAssertEqual(progress.end, LSN(0x500_0138))
        let cut = BasebackupProgress("pg_basebackup: write-ahead log start point: 0/5000028 on timeline 1\n")
        XCTAssertNil(cut.end, "a backup that never reported its end has no end point")
    }

    func testOnlyABackupNotVerifiedWhenTakenIsVerifiedAfterUnpacking() {
        var record = CatalogTests.record("b1", start: 2, stopLSN: "0/2000100", stopTime: "2024-01-15T06:00:00.000000Z")
        record.verification = "pg_verifybackup 15 on an extracted copy (tar support arrived in 18), WAL parsed"
        XCTAssertFalse(UnpackBaseBackup.verifiedOnlyWhenUnpacked(record))
        record.verification = "not verified with pg_verifybackup when taken (streamed to the repository with no copy on disk): the restore verifies the unpacked directory"
        XCTAssertTrue(UnpackBaseBackup.verifiedOnlyWhenUnpacked(record))
    }

    func testStreamingToStdoutFetchesWALInsteadOfStreamingIt() {
        XCTAssertEqual(BaseBackup.streamedWALMethod("stream"), "fetch")
        XCTAssertEqual(BaseBackup.streamedWALMethod("fetch"), "fetch")
        XCTAssertEqual(BaseBackup.streamedWALMethod("none"), "none")
    }
}
