import Foundation
import XCTest
import RunbookCore
@testable import RunbookActions

/// The three PITR runbooks, run through the built `runbook` binary against a real
/// PostgreSQL 15 cluster: archiving set up by `wal-archiving-setup`, a base backup by
/// `base-backup`, then rows written in batches and `pitr` run to a time between two batches.
final class PITRRunbookTests: XCTestCase {
    var cluster: PITRCluster!
    var profile = ""

    override func setUpWithError() throws {
        cluster = try PITRCluster()
        profile = try cluster.writeProfile()
    }

    override func tearDown() {
        cluster?.shutdown()
        cluster = nil
    }

    func runbook(_ name: String, _ params: [String: String] = [:]) throws -> PITRRunbookCLI.Output {
        var all = ["archive_dir": cluster.archiveDir]
        if name != "wal-archiving-setup" { all["backup_dir"] = cluster.backupDir }
        if name == "wal-archiving-setup" { all["archive_timeout"] = "5s" }
        for (k, v) in params { all[k] = v }
        return try PITRRunbookCLI.run(name, cluster: cluster, profile: profile, params: all)
    }

    @discardableResult
    func mustSucceed(_ name: String, _ params: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> PITRRunbookCLI.Output {
        let out = try runbook(name, params)
        XCTAssertEqual(out.status, 0, "runbook \(name) failed:\n\(out.text)", file: file, line: line)
        if out.status != 0 { throw PITRCluster.HarnessError(description: "runbook \(name) failed") }
        return out
    }

    func catalog() throws -> BaseBackupCatalog {
        try BaseBackupCatalog.decode(Data(contentsOf: URL(fileURLWithPath: cluster.backupDir + "/catalog.json")))
    }

    func batches() throws -> String {
        try cluster.psql("SELECT string_agg(batch || ':' || n, ' ' ORDER BY batch) FROM (SELECT batch, count(*) AS n FROM pitr_events GROUP BY batch) b")
    }

    /// Archiving and a base backup, then four batches of 100 rows, each batch one transaction.
    /// Returns the server's clock read after each batch committed (before the next began).
    func archiveBackupAndWriteBatches() throws -> [Instant] {
        try mustSucceed("wal-archiving-setup")
        try cluster.psql("CREATE TABLE pitr_events (batch int NOT NULL, n int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        try mustSucceed("base-backup")
        var after: [Instant] = []
        for batch in 1...4 {
            try cluster.psql("INSERT INTO pitr_events (batch, n) SELECT \(batch), g FROM generate_series(1, 100) g")
            after.append(try cluster.clock())
            usleep(300_000)
        }
        XCTAssertEqual(try batches(), "1:100 2:100 3:100 4:100")
        return after
    }

    func siblings(_ prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: cluster.root).filter { $0.hasPrefix(prefix) }
    }

    // MARK: - Tests

    func testWalArchivingSetupArchivesDurablyAndNeverOverwritesASegment() throws {
        XCTAssertEqual(try cluster.psql("SHOW archive_mode"), "off")
        let out = try mustSucceed("wal-archiving-setup")
        XCTAssertEqual(try cluster.psql("SHOW archive_mode"), "on", "archive_mode needs the restart the runbook did")
        XCTAssertEqual(try cluster.psql("SHOW archive_timeout"), "5s")
        XCTAssertEqual(try cluster.psql("SHOW archive_command"), ArchiveCommands.archiveCommand(archiveDir: cluster.archiveDir))
        let archived = try cluster.archivedNames().filter { WALSegment(fileName: $0) != nil }
        XCTAssertFalse(archived.isEmpty, out.text)
        XCTAssertTrue(try cluster.archivedNames().allSatisfy { !$0.hasSuffix(".tmp") })
        var info = stat()
        XCTAssertEqual(stat(cluster.archiveDir, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        XCTAssertEqual(getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) }, PITRCluster.osUserName)

        // A different file already under the next segment's name is not overwritten: archiving stalls and says so.
        // The segment being written now (a transaction first, so the insert position is inside it).
        try cluster.psql("SELECT txid_current()")
        let next = try cluster.psql("SELECT pg_walfile_name(pg_current_wal_insert_lsn())")
        let squatter = cluster.archiveDir + "/" + next
        XCTAssertFalse(FileManager.default.fileExists(atPath: squatter), "\(next) must not be archived yet")
        try Data("not a WAL segment".utf8).write(to: URL(fileURLWithPath: squatter))
        let failedBefore = Int(try cluster.psql("SELECT failed_count FROM pg_stat_archiver")) ?? -1
        try cluster.psql("SELECT txid_current()")
        try cluster.psql("SELECT pg_switch_wal()")
        let deadline = Date().addingTimeInterval(20)
        while (Int(try cluster.psql("SELECT failed_count FROM pg_stat_archiver")) ?? -1) <= failedBefore && Date() < deadline { usleep(100_000) }
        XCTAssertGreaterThan(Int(try cluster.psql("SELECT failed_count FROM pg_stat_archiver")) ?? -1, failedBefore)
        XCTAssertEqual(try String(contentsOfFile: squatter, encoding: .utf8), "not a WAL segment")
        // Once the stray file is gone the segment arrives.
        try FileManager.default.removeItem(atPath: squatter)
        while !FileManager.default.fileExists(atPath: squatter) && Date() < deadline.addingTimeInterval(60) { usleep(100_000) }
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: squatter)[.size] as? Int), 16 << 20)
    }

    func testPITRToATimeBetweenTwoBatchesKeepsExactlyTheEarlierBatches() throws {
        let after = try archiveBackupAndWriteBatches()
        let target = after[1]  // batches 1 and 2 committed before it, 3 and 4 after
        let started = Date()
        let out = try mustSucceed("pitr", ["target_time": target.postgresText,
                                           "verify_sql": "SELECT count(*) FROM pitr_events", "verify_expect": "200"])
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(try batches(), "1:100 2:100", out.text)
        XCTAssertEqual(try cluster.psql("SELECT pg_is_in_recovery()"), "f")
        XCTAssertEqual(try cluster.psql("SELECT timeline_id FROM pg_control_checkpoint()"), "2", "promotion starts a new timeline")
        let replayed = try XCTUnwrap(Instant.parseEpoch(try cluster.psql("SELECT extract(epoch FROM pg_last_xact_replay_timestamp())")))
        XCTAssertLessThanOrEqual(replayed, target)
        XCTAssertGreaterThan(replayed, after[0], "batch 2's commit was replayed")
        // The settings are PostgreSQL 12+ style and were cleared after promotion; nothing is left half-done.
        XCTAssertFalse(FileManager.default.fileExists(atPath: cluster.dataDir + "/recovery.signal"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cluster.dataDir + "/recovery.conf"))
        let autoConf = try String(contentsOfFile: cluster.dataDir + "/postgresql.auto.conf", encoding: .utf8)
        XCTAssertFalse(autoConf.contains("recovery_target"), autoConf)
        XCTAssertTrue(autoConf.contains("restore_command"), "restore_command stays, for a later standby or recovery")
        XCTAssertTrue(try String(contentsOfFile: cluster.logFile, encoding: .utf8).contains("recovery stopping before commit of transaction"))
        // The replaced data directory was kept whole beside the new one, never deleted.
        let kept = try siblings("data.before-pitr-")
        XCTAssertEqual(kept.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cluster.root + "/" + kept[0] + "/PG_VERSION"))
        var info = stat()
        XCTAssertEqual(stat(cluster.dataDir, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        XCTAssertEqual(getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) }, PITRCluster.osUserName)
        // The recovered server is a normal primary: it takes writes and archives them.
        try cluster.psql("INSERT INTO pitr_events (batch, n) VALUES (5, 1)")
        print("PITR runbook wall time: \(String(format: "%.2f", seconds))s")
    }

    func testPITRToARestorePointKeepsExactlyTheBatchesBeforeIt() throws {
        try mustSucceed("wal-archiving-setup")
        try cluster.psql("CREATE TABLE pitr_events (batch int NOT NULL, n int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        try mustSucceed("base-backup")
        try cluster.psql("INSERT INTO pitr_events (batch, n) SELECT 1, g FROM generate_series(1, 100) g")
        try cluster.psql("SELECT pg_create_restore_point('before-batch-2')")
        try cluster.psql("INSERT INTO pitr_events (batch, n) SELECT 2, g FROM generate_series(1, 100) g")
        let out = try mustSucceed("pitr", ["target_name": "before-batch-2"])
        XCTAssertEqual(try batches(), "1:100", out.text)
        XCTAssertTrue(out.text.contains("restore point \"before-batch-2\" at "), out.text)
        XCTAssertTrue(try String(contentsOfFile: cluster.logFile, encoding: .utf8).contains("recovery stopping at restore point \"before-batch-2\""))
    }

    func testPITRToAnLSNKeepsExactlyTheTransactionsBeforeIt() throws {
        try mustSucceed("wal-archiving-setup")
        try cluster.psql("CREATE TABLE pitr_events (batch int NOT NULL, n int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        try mustSucceed("base-backup")
        try cluster.psql("INSERT INTO pitr_events (batch, n) SELECT 1, g FROM generate_series(1, 100) g")
        let lsn = try cluster.psql("SELECT pg_current_wal_insert_lsn()")
        try cluster.psql("INSERT INTO pitr_events (batch, n) SELECT 2, g FROM generate_series(1, 100) g")
        let out = try mustSucceed("pitr", ["target_lsn": lsn, "verify_sql": "SELECT count(*) FROM pitr_events", "verify_expect": "100"])
        XCTAssertEqual(try batches(), "1:100", out.text)
    }

    func testFailedVerificationRollsBackToTheOriginalDataDirectory() throws {
        _ = try archiveBackupAndWriteBatches()
        let marker = UUID().uuidString
        try PITRCluster.asUser(["sh", "-c", "printf %s \(marker) > \(cluster.dataDir)/pitr-test-marker"])
        let target = try cluster.clock()
        // Recovery to "now" keeps all 400 rows; expecting 999 makes the verification fail on purpose.
        let out = try runbook("pitr", ["target_time": target.postgresText,
                                       "verify_sql": "SELECT count(*) FROM pitr_events", "verify_expect": "999"])
        XCTAssertNotEqual(out.status, 0, out.text)
        XCTAssertTrue(out.text.contains("returned \"400\", expected \"999\""), out.text)
        XCTAssertTrue(cluster.isRunning, "the rollback starts the server again")
        XCTAssertEqual(try String(contentsOfFile: cluster.dataDir + "/pitr-test-marker", encoding: .utf8), marker,
                       "the original data directory is back")
        XCTAssertEqual(try batches(), "1:100 2:100 3:100 4:100")
        XCTAssertEqual(try cluster.psql("SELECT timeline_id FROM pg_control_checkpoint()"), "1")
        XCTAssertTrue(try siblings("data.before-pitr-").isEmpty)
        let failed = try siblings("data.failed-pitr-")
        XCTAssertEqual(failed.count, 1, "the failed recovery is kept for diagnosis")
        XCTAssertFalse(FileManager.default.fileExists(atPath: cluster.root + "/" + failed[0] + "/pitr-test-marker"))
        try cluster.psql("INSERT INTO pitr_events (batch, n) VALUES (5, 1)")
    }

    func testRecoveryAfterARolledBackRecoveryIgnoresTheAbandonedTimeline() throws {
        let after = try archiveBackupAndWriteBatches()
        // A first attempt promotes to timeline 2, fails verification and is rolled back: the
        // archive now holds 00000002.history and timeline-2 WAL that nobody uses.
        let failed = try runbook("pitr", ["target_time": after[3].postgresText, "verify_sql": "SELECT 1", "verify_expect": "2"])
        XCTAssertNotEqual(failed.status, 0, failed.text)
        XCTAssertTrue(try cluster.archivedNames().contains("00000002.history"))
        try cluster.psql("INSERT INTO pitr_events (batch, n) SELECT 5, g FROM generate_series(1, 100) g")
        // The second recovery follows timeline 1 (recovery_target_timeline = current) and stops after batch 1.
        let out = try mustSucceed("pitr", ["target_time": after[0].postgresText,
                                           "verify_sql": "SELECT count(*) FROM pitr_events", "verify_expect": "100"])
        XCTAssertEqual(try batches(), "1:100", out.text)
        XCTAssertEqual(try cluster.psql("SELECT timeline_id FROM pg_control_checkpoint()"), "3", "timeline 2 is taken: the next is 3")
    }

    func testTargetsThatCannotBeReachedAreRefusedBeforeAnythingIsStopped() throws {
        _ = try archiveBackupAndWriteBatches()
        let backupStop = try XCTUnwrap(try catalog().backups.first?.stopInstant)
        for (target, expected) in [
            (Instant(microseconds: backupStop.microseconds - 1_000_000), "no base backup ends before"),
            (Instant(microseconds: try cluster.clock().microseconds + 3_600_000_000), "is in the future"),
        ] {
            let out = try runbook("pitr", ["target_time": target.postgresText])
            XCTAssertNotEqual(out.status, 0)
            XCTAssertTrue(out.text.contains(expected), "expected \"\(expected)\" in:\n\(out.text)")
            XCTAssertTrue(cluster.isRunning)
            XCTAssertTrue(try siblings("data.").filter { $0 != "data.server.log" }.isEmpty, "nothing was moved")
        }
        let bad = try runbook("pitr", ["target_time": "2024-01-15 14:30:00", "target_name": "x"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.text.contains("give only one recovery target"), bad.text)
        XCTAssertEqual(try batches(), "1:100 2:100 3:100 4:100")
    }

    func testBaseBackupsAreVerifiedCatalogedAndPruningKeepsWhatTheOldestNeeds() throws {
        _ = try archiveBackupAndWriteBatches()
        try mustSucceed("base-backup", ["prune_wal": "true"])
        let entries = try catalog().backups
        XCTAssertEqual(entries.count, 2)
        for entry in entries {
            let dir = cluster.backupDir + "/" + entry.id
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["backup_manifest", "base.tar.gz", "pg_wal.tar.gz"])
            XCTAssertEqual(entry.files, ["backup_manifest", "base.tar.gz", "pg_wal.tar.gz"])
            XCTAssertTrue(entry.verification.hasPrefix("pg_verifybackup 15 on an extracted copy"), entry.verification)
            XCTAssertLessThan(try XCTUnwrap(entry.startLSNValue), try XCTUnwrap(entry.stopLSNValue))
            XCTAssertEqual(WALSegment(containing: try XCTUnwrap(entry.startLSNValue), timeline: entry.timeline).fileName, entry.startWALFile)
        }
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: cluster.backupDir)
            .allSatisfy { !$0.hasSuffix(".partial") && !$0.hasSuffix(".verify") }, "no leftovers")
        // Segments before the oldest backup's start are gone; everything from it on is still there.
        let oldestStart = try XCTUnwrap(try catalog().oldest?.startSegment)
        let names = try cluster.archivedNames()
        let segments = names.compactMap { ArchiveFile(name: $0).segment }
        XCTAssertFalse(segments.contains { $0.number < oldestStart.number }, "\(names)")
        let kept = Set(segments.map(\.number))
        let newest = try XCTUnwrap(kept.max())
        XCTAssertEqual(kept, Set(oldestStart.number...newest), "from the oldest backup's start on, nothing is missing")
        // And that backup can still be recovered to its end.
        let out = try mustSucceed("pitr", ["target_immediate": "true", "backup": try XCTUnwrap(try catalog().oldest?.id)])
        XCTAssertEqual(try batches(), "", out.text)
    }
}
