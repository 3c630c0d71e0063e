import Foundation
@testable import RunbookActions
import XCTest

/// The RPO through the repository, end to end with the shipped runbooks: `wal-archiving-setup
/// --param offsite=true --param archive_timeout=2s` makes a real PostgreSQL 15 archive with
/// `runbook wal-push` into `rclone serve s3`; a base backup is streamed there; then one row is
/// committed with nothing else writing, and the segment holding it must be listed in the
/// repository within archive_timeout and a small slack, with no switch by hand. The server is
/// then crashed (immediate stop: the archiver exits at once, nothing more is archived), the
/// host's data directory, archive and local backups are deleted, and `pitr` from the repository
/// alone brings the row back.
extension PITRFromRepositoryTests {
    static let archiveTimeout: TimeInterval = 2
    /// Above archive_timeout: the checkpointer's wake-up (it sleeps to the next timeout, to the
    /// second), the archiver's, one `wal-push` of a 16 MB segment (under 1 s), and this machine's
    /// two shared cores.
    static let slack: TimeInterval = 4

    func testACommittedRowReachesTheRepositoryWithinArchiveTimeoutAndPITRFromTheRepositoryRecoversIt() async throws {
        let binary = try RunbookCLI.binary()
        let walConfig = cluster.root + "/runbook-wal.json"
        try mustSucceed("wal-archiving-setup", ["offsite": "true", "runbook_binary": binary, "wal_config": walConfig,
                                                "archive_timeout": "\(Int(Self.archiveTimeout))s"], directories: false)
        XCTAssertEqual(try cluster.psql("SHOW archive_command"), "\(binary) wal-push --config \(walConfig) %p")
        XCTAssertEqual(try cluster.psql("SHOW archive_timeout"), "\(Int(Self.archiveTimeout))s")
        try cluster.psql("CREATE TABLE payments (id int primary key, amount int, note text)")
        // The base backup's checkpoint also wakes the checkpointer, which after a restart sleeps
        // up to checkpoint_timeout before it first honours archive_timeout (WALArchivingTests).
        try mustSucceed("base-backup", ["offsite": "true", "keep_local": "false"])
        try await Task.sleep(nanoseconds: 500_000_000)

        // Timed from before the INSERT is sent, so the measured delay can only be longer than the real one.
        let sent = Date()
        try cluster.psql("INSERT INTO payments VALUES (1, 4200, 'the last committed row')")
        let segment = try cluster.psql("SELECT pg_walfile_name(pg_current_wal_insert_lsn())")
        let expected = try TableChecksums.of { try cluster.psql($0) }
        let bound = Self.archiveTimeout + Self.slack
        var delay: TimeInterval?
        while Date().timeIntervalSince(sent) < bound + 10 {
            if try await repository.keys().contains(where: { $0.hasPrefix(repository.config.prefix + "wal/\(segment).") }) {
                delay = Date().timeIntervalSince(sent)
                break
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let measured = try XCTUnwrap(delay, "\(segment) never reached the repository; pg_stat_archiver: \((try? cluster.psql("SELECT archived_count, failed_count, last_failed_wal FROM pg_stat_archiver")) ?? "?")")
        print("RPO: segment \(segment) holding the committed row was listed in the repository \(String(format: "%.2f", measured)) s after the INSERT was sent (archive_timeout \(Int(Self.archiveTimeout)) s)")
        XCTAssertLessThanOrEqual(measured, bound, "the segment holding the row took \(measured) s, more than archive_timeout + \(Self.slack) s")
        XCTAssertEqual(try cluster.psql("SELECT failed_count FROM pg_stat_archiver"), "0")

        try PITRCluster.asUser([PITRCluster.binDir + "/pg_ctl", "-D", cluster.dataDir, "-m", "immediate", "-w", "-t", "60", "stop"])
        try loseTheHost()
        _ = try recoverFromTheRepository(["target_latest": "true"])
        XCTAssertEqual(try cluster.psql("SELECT id, amount, note FROM payments"), "1|4200|the last committed row")
        XCTAssertEqual(try TableChecksums.of { try cluster.psql($0) }, expected, "every table as at the commit")
    }
}
