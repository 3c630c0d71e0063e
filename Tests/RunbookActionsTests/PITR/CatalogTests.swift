import XCTest
@testable import RunbookActions

final class CatalogTests: XCTestCase {
    static func record(_ id: String, start: UInt64, stopLSN: String, stopTime: String) -> BaseBackupRecord {
        BaseBackupRecord(id: id, label: id, format: "tar", compression: "gzip", files: ["backup_manifest", "base.tar.gz", "pg_wal.tar.gz"],
                         walMethod: "stream", timeline: 1, startLSN: WALSegment(timeline: 1, number: start).startLSN.description,
                         stopLSN: stopLSN, startWALFile: WALSegment(timeline: 1, number: start).fileName, startTime: stopTime,
                         stopTime: stopTime, walSegmentSize: WALSegment.defaultSize, systemIdentifier: "7312", serverVersionNum: 150018,
                         bytes: 1, manifestChecksum: nil, verification: "test", runID: "r")
    }

    let catalog = BaseBackupCatalog(backups: [
        record("b2", start: 8, stopLSN: "0/8000100", stopTime: "2024-01-15T12:00:00.000000Z"),
        record("b1", start: 2, stopLSN: "0/2000100", stopTime: "2024-01-15T06:00:00.000000Z"),
        record("b3", start: 12, stopLSN: "0/C000100", stopTime: "2024-01-15T18:00:00.000000Z"),
    ])

    func testNewestBackupThatEndedBeforeATimeTarget() throws {
        func chosen(_ time: String) throws -> String? { catalog.newest(usableFor: .time(try XCTUnwrap(Instant.parse(time))))?.id }
        XCTAssertEqual(try chosen("2024-01-15 14:30:00"), "b2")
        XCTAssertEqual(try chosen("2024-01-15 12:00:00"), "b1", "a backup ending exactly at the target is not usable")
        XCTAssertEqual(try chosen("2024-01-15 12:00:00.000001"), "b2")
        XCTAssertEqual(try chosen("2024-01-16 00:00:00"), "b3")
        XCTAssertNil(try chosen("2024-01-15 05:00:00"))
    }

    func testNewestBackupConsistentByAnLSNTarget() {
        XCTAssertEqual(catalog.newest(usableFor: .lsn(LSN(0x800_0100)))?.id, "b2", "consistent exactly at the target is enough")
        XCTAssertEqual(catalog.newest(usableFor: .lsn(LSN(0x800_00FF)))?.id, "b1")
        XCTAssertEqual(catalog.newest(usableFor: .immediate)?.id, "b3")
        XCTAssertEqual(catalog.newest(usableFor: .name("x"))?.id, "b3")
        XCTAssertEqual(catalog.oldest?.id, "b1")
    }

    func testPinnedBackupMustStillPrecedeTheTarget() throws {
        let t = RecoveryTarget.time(try XCTUnwrap(Instant.parse("2024-01-15 14:30:00")))
        XCTAssertEqual(try ChooseBackup.choose(catalog, for: t, pinned: "b1").id, "b1")
        XCTAssertThrowsError(try ChooseBackup.choose(catalog, for: t, pinned: "b3")) {
            XCTAssertEqual("\($0)", "backup \"b3\" finished at 2024-01-15T18:00:00.000000Z, not before the target 2024-01-15T14:30:00.000000Z")
        }
        XCTAssertThrowsError(try ChooseBackup.choose(catalog, for: t, pinned: "nope"))
        XCTAssertThrowsError(try ChooseBackup.choose(BaseBackupCatalog(), for: t, pinned: nil)) {
            XCTAssertEqual("\($0)", "the catalog has no base backups")
        }
        XCTAssertThrowsError(try ChooseBackup.choose(catalog, for: .time(try XCTUnwrap(Instant.parse("2024-01-01 00:00:00"))), pinned: nil)) {
            XCTAssertTrue("\($0)".hasPrefix("no base backup ends before time 2024-01-01 00:00:00.000000+00"))
        }
    }

    func testCatalogRoundTripsAsSnakeCaseJSON() throws {
        let data = try catalog.encoded()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"start_wal_file\" : \"000000010000000000000008\""))
        XCTAssertTrue(text.contains("\"stop_lsn\" : \"0/8000100\""))
        XCTAssertEqual(try BaseBackupCatalog.decode(data), catalog)
        XCTAssertThrowsError(try BaseBackupCatalog.decode(Data("{\"version\": 2, \"backups\": []}".utf8)))
    }

    func testBackupLabelAndManifestFieldsAreRead() {
        let label = BackupLabel("""
            START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
            CHECKPOINT LOCATION: 0/2000060
            BACKUP METHOD: streamed
            BACKUP FROM: primary
            START TIME: 2026-11-26 13:13:21 UTC
            LABEL: pg_basebackup base backup
            START TIMELINE: 1

            """)
        XCTAssertEqual(label.startLSN, LSN(0x200_0028))
        XCTAssertEqual(label.startWALFile, "000000010000000000000002")
        XCTAssertEqual(label.timeline, 1)
        XCTAssertEqual(label.startTime?.iso8601, "2026-11-26T13:13:21.000000Z")
        let manifest = ManifestTail("""
            { "Path": "global/pg_control", "Size": 8192, "Last-Modified": "2026-11-26 13:13:21 GMT", "Checksum-Algorithm": "CRC32C", "Checksum": "43872087" }
            ],
            "WAL-Ranges": [
            { "Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/2000100" }
            ],
            "Manifest-Checksum": "46b96acc350d2e898c1045f5ae599d472288c43cacbe651bb672e07bf31e1555"}
            """)
        XCTAssertEqual(manifest.startLSN, LSN(0x200_0028))
        XCTAssertEqual(manifest.endLSN, LSN(0x200_0100))
        XCTAssertEqual(manifest.checksum, "46b96acc350d2e898c1045f5ae599d472288c43cacbe651bb672e07bf31e1555")
        XCTAssertEqual(BaseBackup.majorVersion("pg_verifybackup (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"), 15)
        XCTAssertEqual(BaseBackup.majorVersion("pg_verifybackup (PostgreSQL) 18beta1"), 18)
    }

    func testWaldumpTransactionTimesAndRestorePoints() {
        let xact = """
            rmgr: Transaction len (rec/tot):    533/   533, tx:        724, lsn: 0/030163B0, prev 0/03016368, desc: COMMIT 2026-11-26 13:13:29.029926 UTC; inval msgs: catcache 80 catcache 79
            rmgr: Transaction len (rec/tot):     34/    34, tx:        725, lsn: 0/030168D8, prev 0/03016890, desc: ABORT 2026-11-26 13:13:29.240936 UTC
            rmgr: Transaction len (rec/tot):     50/    50, tx:        726, lsn: 0/03016BD0, prev 0/03016B88, desc: COMMIT_PREPARED 744: 2026-11-26 13:13:30.847734 UTC
            rmgr: Transaction len (rec/tot):     34/    34, tx:          0, lsn: 0/03016EC8, prev 0/03016E80, desc: ASSIGNMENT xtop 731: subxacts: 732
            """
        XCTAssertEqual(WALDumpLines.transactionTimes(xact[...]).map(\.iso8601),
                       ["2026-11-26T13:13:29.029926Z", "2026-11-26T13:13:29.240936Z", "2026-11-26T13:13:30.847734Z"])
        let xlog = """
            rmgr: XLOG        len (rec/tot):     30/    30, tx:          0, lsn: 0/03000028, prev 0/02000100, desc: NEXTOID 24576
            rmgr: XLOG        len (rec/tot):     98/    98, tx:          0, lsn: 0/03016F10, prev 0/03016EC8, desc: RESTORE_POINT before-migration-2
            rmgr: XLOG        len (rec/tot):     98/    98, tx:          0, lsn: 0/03017F10, prev 0/03016F10, desc: RESTORE_POINT before-migration
            """
        XCTAssertEqual(WALDumpLines.restorePoint("before-migration", in: xlog[...]), LSN(0x301_7F10))
        XCTAssertNil(WALDumpLines.restorePoint("other", in: xlog[...]))
    }
}
