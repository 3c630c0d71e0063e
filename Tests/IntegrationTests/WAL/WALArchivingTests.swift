import Foundation
@testable import RunbookActions
import XCTest

/// A real PostgreSQL 15 archiving with `archive_command = 'runbook wal-push ...'` into a real
/// `rclone serve s3` repository, and recovering with `restore_command = 'runbook wal-fetch ...'`
/// after the host's data directory, base backup and archive are gone.
final class WALArchivingTests: WALClusterTestCase {
    var binary: String { get throws { try RunbookCLI.binary() } }

    /// archive_mode on, archive_command = wal-push (PostgreSQL runs it as the server user).
    func archiveToTheRepository(timeout: Int) throws {
        let command = "\(try binary) wal-push --config \(repository.configPath) %p"
        try cluster.psql("ALTER SYSTEM SET archive_mode = 'on'")
        try cluster.psql("ALTER SYSTEM SET archive_command = '\(command)'")
        try cluster.psql("ALTER SYSTEM SET archive_timeout = '\(timeout)s'")
        try cluster.stopFast()
        try cluster.start()
    }

    func waitUntilArchived(_ name: String, within seconds: TimeInterval) async throws -> TimeInterval {
        let started = Date()
        while Date().timeIntervalSince(started) < seconds {
            if try await repository.keys().contains(where: { $0.hasPrefix("prod/wal/\(name).") }) { return Date().timeIntervalSince(started) }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let stats = (try? cluster.psql("SELECT archived_count, failed_count, last_failed_wal FROM pg_stat_archiver")) ?? "?"
        let log = (try? String(contentsOfFile: cluster.logFile, encoding: .utf8))?.suffix(1500) ?? ""
        XCTFail("\(name) not in the repository after \(seconds)s (pg_stat_archiver \(stats)); log:\n\(log)")
        return seconds
    }

    func testAWriteReachesTheRepositoryWithinArchiveTimeoutWithoutASwitchByHand() async throws {
        try archiveToTheRepository(timeout: 2)
        // PostgreSQL 15's checkpointer, started during the start-up recovery, sleeps up to
        // checkpoint_timeout before it first honours archive_timeout; any wake-up (a checkpoint)
        // starts the archive_timeout clock. Measured here: without it, no switch came in 28 s.
        try cluster.psql("CHECKPOINT")
        try cluster.psql("CREATE TABLE orders (id int primary key, note text); INSERT INTO orders SELECT g, 'n' || g FROM generate_series(1, 100) g")
        let segment = try cluster.psql("SELECT pg_walfile_name(pg_current_wal_lsn())")
        // The RPO bound: the segment holding the write is switched by archive_timeout and archived.
        let waited = try await waitUntilArchived(segment, within: 2 + 8)
        XCTAssertLessThanOrEqual(waited, 10)
        XCTAssertEqual(try cluster.psql("SELECT failed_count FROM pg_stat_archiver"), "0")
        let archived = try await repository.keys()
        let key = try XCTUnwrap(archived.first { $0.hasPrefix("prod/wal/\(segment).") })
        let stored = try await repository.download(key)
        XCTAssertTrue(stored.starts(with: Data("age-encryption.org/v1\n".utf8)), "segments are encrypted at rest")
        XCTAssertGreaterThan(stored.count, 16 << 20, "a whole 16 MB segment")
    }

    func testLostHostRecoversToTheLatestPointAndToATimeBetweenTwoBatchesFromTheRepositoryAlone() async throws {
        try archiveToTheRepository(timeout: 60)
        try cluster.psql("CREATE TABLE accounts (id int primary key, balance int); CREATE TABLE events (id bigserial primary key, body text)")
        try cluster.psql("INSERT INTO accounts SELECT g, g * 10 FROM generate_series(1, 500) g")

        let local = cluster.root + "/base"
        let store = try await baseBackupToTheRepository(through: local)
        defer { Task { await store.shutdown() } }

        try cluster.psql("UPDATE accounts SET balance = balance + 1 WHERE id <= 250; INSERT INTO events (body) SELECT 'one ' || g FROM generate_series(1, 300) g")
        let afterBatch1 = try TableChecksums.of { try cluster.psql($0) }
        try await Task.sleep(nanoseconds: 1_100_000_000)
        let between = try cluster.clock()
        try await Task.sleep(nanoseconds: 1_100_000_000)
        try cluster.psql("DELETE FROM accounts WHERE id > 400; INSERT INTO events (body) SELECT 'two ' || g FROM generate_series(1, 300) g")
        let afterBatch2 = try TableChecksums.of { try cluster.psql($0) }
        XCTAssertNotEqual(afterBatch1, afterBatch2)
        let last = try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())")
        _ = try await waitUntilArchived(last, within: 30)

        // The host is lost: the server, its data directory, the local base backup, any archive.
        try cluster.stopFast()
        try FileManager.default.removeItem(atPath: cluster.dataDir)
        try FileManager.default.removeItem(atPath: local)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cluster.archiveDir))

        try await recover(from: store, target: nil)
        XCTAssertEqual(try TableChecksums.of { try cluster.psql($0) }, afterBatch2, "the latest point: both batches")

        try cluster.stopFast()
        try FileManager.default.removeItem(atPath: cluster.dataDir)
        try await recover(from: store, target: between)
        XCTAssertEqual(try TableChecksums.of { try cluster.psql($0) }, afterBatch1, "between the batches: batch 1 only")
    }

    /// A base backup into the repository (base/ namespace), through `local`; WAL comes only
    /// from the repository (-X none).
    func baseBackupToTheRepository(through local: String) async throws -> RepositoryStore {
        try PITRCluster.asUser(["mkdir", "-m", "0700", local])
        try PITRCluster.asUser(["pg_basebackup", "-h", cluster.socketDir, "-p", String(cluster.port), "-U", PITRCluster.superuser,
                                "-D", local, "-F", "t", "-X", "none", "-c", "fast"])
        let store = try RepositoryStore(config: repository.config)
        let input = try XCTUnwrap(FileHandle(forReadingAtPath: local + "/base.tar"))
        try await store.push(name: "base/test-1/base.tar", from: input)
        try input.close()
        return store
    }

    func testATamperedSegmentStopsRecoveryWithTheServersErrorInsteadOfEndingItEarly() async throws {
        try archiveToTheRepository(timeout: 60)
        try cluster.psql("CREATE TABLE accounts (id int primary key, balance int)")
        let store = try await baseBackupToTheRepository(through: cluster.root + "/base")
        defer { Task { await store.shutdown() } }
        try cluster.psql("INSERT INTO accounts SELECT g, g FROM generate_series(1, 500) g")
        let last = try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())")
        _ = try await waitUntilArchived(last, within: 30)
        let archived = try await repository.keys()
        let key = try XCTUnwrap(archived.first { $0.hasPrefix("prod/wal/\(last).") })
        var stored = try await repository.download(key)
        stored[stored.count / 2] ^= 0x01
        try await repository.upload(key, stored)

        try cluster.stopFast()
        try FileManager.default.removeItem(atPath: cluster.dataDir)
        try await startRecovery(from: store, target: nil)
        // Exit 126 from wal-fetch: the server stops with FATAL rather than promoting without the rows.
        let deadline = Date().addingTimeInterval(60)
        while cluster.isRunning, Date() < deadline { try await Task.sleep(nanoseconds: 200_000_000) }
        let log = (try? String(contentsOfFile: cluster.logFile, encoding: .utf8)) ?? ""
        XCTAssertFalse(cluster.isRunning, "the server went on after a tampered segment; log:\n\(log.suffix(2000))")
        XCTAssertTrue(log.contains("runbook wal-fetch: error: \(last): "), String(log.suffix(2000)))
        // PostgreSQL words exit status 126 as the shell's "command not executable".
        XCTAssertTrue(log.contains("FATAL:  could not restore file \"\(last)\" from archive: command not executable"),
                      String(log.suffix(2000)))
        XCTAssertFalse(log.contains("archive recovery complete"), "recovery must not end (and promote) at the damaged segment")
    }

    /// The bare-host restore: the base backup fetched (and verified) from the repository into a
    /// fresh data directory, restore_command = wal-fetch, recovery to `target` or the end.
    func recover(from store: RepositoryStore, target: Instant?) async throws {
        try await startRecovery(from: store, target: target)
        let deadline = Date().addingTimeInterval(60)
        while (try? cluster.psql("SELECT pg_is_in_recovery()")) != "f" {
            guard Date() < deadline else {
                let log = (try? String(contentsOfFile: cluster.logFile, encoding: .utf8))?.suffix(2000) ?? ""
                return XCTFail("recovery did not end; log:\n\(log)")
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// Fetches the base backup into a fresh data directory and starts the server in recovery.
    func startRecovery(from store: RepositoryStore, target: Instant?) async throws {
        let fetched = cluster.root + "/fetched.tar"
        try await store.pull(name: "base/test-1/base.tar", to: fetched, identities: try AgeIdentityFile.load(path: repository.identityPath))
        try PostgresCluster.sh(["chown", PITRCluster.osUserName, fetched])
        try PITRCluster.asUser(["mkdir", "-m", "0700", cluster.dataDir])
        try PITRCluster.asUser(["tar", "-x", "-f", fetched, "-C", cluster.dataDir])
        try PITRCluster.asUser(["mkdir", "-p", "-m", "0700", cluster.dataDir + "/pg_wal"])
        unlink(fetched)
        var settings = """

            restore_command = '\(try binary) wal-fetch --config \(repository.configPath) --identity \(repository.identityPath) %f %p'
            recovery_target_action = 'promote'
            archive_mode = 'off'

            """
        if let target { settings += "recovery_target_time = '\(target.postgresText)'\n" }
        let auto = try FileHandle(forWritingTo: URL(fileURLWithPath: cluster.dataDir + "/postgresql.auto.conf"))
        try auto.seekToEnd()
        try auto.write(contentsOf: Data(settings.utf8))
        try auto.close()
        try PITRCluster.asUser(["touch", cluster.dataDir + "/recovery.signal"])
        // pg_ctl -w fails when the server stops during recovery; callers look at what happened.
        try? cluster.start()
    }
}
