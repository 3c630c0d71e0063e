import Foundation
import RunbookCore
import XCTest
@testable import RunbookActions

/// The three PITR runbooks through the built `runbook` binary against postgres-shared of the
/// test compose project on a real Docker Engine, with a profile like production's (`via:
/// compose`, the data directory as the container sees it, a subdirectory of its volume):
/// psql and pg_basebackup run through `docker compose exec -T`, the server is stopped and
/// started with `docker compose stop/start`, and the data directory is moved, unpacked and
/// prepared in one-off containers (`docker compose run --rm`) while the server is down.
/// The WAL archive and the base backups are the runbooks' default paths, bind-mounted from
/// the host, so the test checks them (and the data directories) from outside the container.
/// postgres-shared runs either like the official postgres image (started as root, dropping to
/// the server's user, so commands in the container run as root) or as the server's user
/// throughout; each path is proven.
final class PITRDockerTests: XCTestCase {
    private static let shared = SharedComposeStack()
    private static let service = "postgres-shared"
    private static let dataDir = "/data/pgdata"
    private var stack: ComposeStack!
    private var state = ""
    private var profile = ""

    override func setUpWithError() throws {
        stack = try Self.shared.acquire()
    }

    /// A fresh stack for one test; `rootContainer` starts postgres-shared the official image's
    /// way (as root, dropping to the server's user), so the runbooks' `docker compose exec`
    /// and `run` act as root, as on a production host; otherwise as the server's user.
    private func prepare(rootContainer: Bool) throws {
        try stack.compose(["down", "--remove-orphans"])
        try useRootContainer(rootContainer)
        try resetDatabaseServer()
        let work = stack.engine.root + "/pitr-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        state = work + "/state"
        profile = work + "/docker.yaml"
        try profileYAML().write(toFile: profile, atomically: true, encoding: .utf8)
    }

    override class func tearDown() {
        shared.release()
        super.tearDown()
    }

    // MARK: - The stack

    /// Picks the compose files with COMPOSE_FILE in the project's .env, so every `docker
    /// compose` (the runbooks' and this harness's) sees the same project.
    private func useRootContainer(_ root: Bool) throws {
        let env = stack.projectDir + "/.env"
        var lines = try String(contentsOfFile: env, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("COMPOSE_FILE=") }
        if root {
            lines.append("COMPOSE_FILE=\(stack.projectDir)/docker-compose.yml:\(stack.projectDir)/docker-compose.root.yml")
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: env))
        chmod(env, 0o600)  // it holds the password
    }

    /// Empty data, archive and backup volumes, then the whole stack up (postgres-shared
    /// initialised by its entrypoint, archiving off).
    private func resetDatabaseServer() throws {
        guard let pw = getpwnam("postgres") else { throw DockerEngine.HarnessError(description: "no postgres user") }
        for dir in [postgresVolume, archiveVolume, backupVolume] {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            chown(dir, pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        do {
            try stack.up()
        } catch {
            let logs = (try? stack.compose(["logs", "--no-color", Self.service])) ?? "(no logs)"
            throw DockerEngine.HarnessError(description: "\(error)\n\(Self.service) logs:\n\(logs)")
        }
    }

    private var postgresVolume: String { stack.projectDir + "/volumes/postgres" }
    private var archiveVolume: String { stack.projectDir + "/volumes/wal_archive" }
    private var backupVolume: String { stack.projectDir + "/volumes/backups" }
    /// The data directory as the host sees it.
    private var hostDataDir: String { postgresVolume + "/pgdata" }
    private var hostBackupDir: String { backupVolume + "/aqstream/base" }

    private func profileYAML() -> String {
        """
        profile: docker-pitr-test
        description: postgres-shared of the test compose project on a private Docker Engine.
        secrets:
          pg_password: {env: RUNBOOK_TEST_PG_PASSWORD}
        targets:
        \(stack.profileTargets(db: [
            "data_dir: \(Self.dataDir)",
            "# Debian keeps pg_verifybackup and pg_waldump off PATH (in the container too).",
            "bin_dir: /usr/lib/postgresql/15/bin",
        ]))

        """
    }

    /// `runbook run NAME --param ...` as an operator runs it, from the repository's runbooks,
    /// with the runbooks' default archive and backup paths (the volumes above).
    private func runbook(_ name: String, _ params: [String: String] = [:]) throws -> (status: Int32, text: String) {
        var args = ["run", name, "--profile", profile, "--state-dir", state, "--yes",
                    "--runbooks-dir", PITRRunbookCLI.repoRoot + "/runbooks"]
        for key in params.keys.sorted() { args += ["--param", "\(key)=\(params[key]!)"] }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["RUNBOOK_TEST_PG_PASSWORD"] = stack.pgPassword
        let started = Date()
        let out = try Host.runCombined([PITRRunbookCLI.path] + args, environment: env, directory: "/")
        print("$ runbook run \(name) (\(String(format: "%.1f", Date().timeIntervalSince(started)))s, exit \(out.status))\n\(out.text)")
        XCTAssertFalse(out.text.contains(stack.pgPassword), "the password reached the terminal")
        return out
    }

    @discardableResult
    private func mustSucceed(_ name: String, _ params: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let out = try runbook(name, params)
        XCTAssertEqual(out.status, 0, "runbook \(name) failed:\n\(out.text)", file: file, line: line)
        if out.status != 0 { throw DockerEngine.HarnessError(description: "runbook \(name) failed") }
        return out.text
    }

    // MARK: - Looking from outside (independent of the code under test)

    @discardableResult
    private func psql(_ sql: String) throws -> String { try stack.psql("postgres", sql) }

    private func clock() throws -> Instant {
        let text = try psql("SELECT extract(epoch FROM clock_timestamp())")
        guard let t = Instant.parseEpoch(text) else { throw DockerEngine.HarnessError(description: "bad clock \(text)") }
        return t
    }

    private func batches() throws -> String {
        try psql("SELECT coalesce(string_agg(batch || ':' || n, ' ' ORDER BY batch), '') FROM (SELECT batch, count(*) AS n FROM pitr_events GROUP BY batch) b")
    }

    private func catalog() throws -> BaseBackupCatalog {
        try BaseBackupCatalog.decode(Data(contentsOf: URL(fileURLWithPath: hostBackupDir + "/catalog.json")))
    }

    private func archivedSegments() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: archiveVolume).filter { WALSegment(fileName: $0) != nil }.sorted()
    }

    /// Names beside the data directory (in the volume) starting with `prefix`.
    private func siblings(_ prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: postgresVolume).filter { $0.hasPrefix(prefix) }
    }

    private func serverLog() throws -> String { try stack.compose(["logs", "--no-color", Self.service]) }

    /// Compose's view of the service once its health check has had a chance to run again.
    private func settledState() throws -> String {
        let deadline = Date().addingTimeInterval(30)
        var current = ""
        repeat {
            current = try stack.states()[Self.service] ?? "(none)"
            if current != "running starting" { break }
            usleep(250_000)
        } while Date() < deadline
        return current
    }

    private func mode(_ path: String) throws -> (mode: mode_t, uid: uid_t) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw DockerEngine.HarnessError(description: "cannot stat \(path)") }
        return (info.st_mode & 0o777, info.st_uid)
    }

    private var postgresUID: uid_t { getpwnam("postgres")?.pointee.pw_uid ?? 0 }

    /// Paths below `dir` that the server's user does not own.
    private func notOwnedByTheServer(_ dir: String) throws -> [String] {
        try Host.run(["find", dir, "!", "-uid", String(postgresUID)]).split(separator: "\n").map(String.init)
    }

    /// Archiving and a base backup through the runbooks, then four batches of 100 rows, each
    /// one transaction. Returns the server's clock read after each batch committed.
    private func archiveBackupAndWriteBatches() throws -> [Instant] {
        let startedBefore = try stack.startedAt(Self.service)
        try mustSucceed("wal-archiving-setup", ["archive_timeout": "5s"])
        XCTAssertNotEqual(try stack.startedAt(Self.service), startedBefore, "archive_mode needs a restart: docker compose restart")
        XCTAssertEqual(try psql("SHOW archive_mode"), "on")
        XCTAssertEqual(try psql("SHOW archive_timeout"), "5s")
        XCTAssertEqual(try psql("SHOW archive_command"), ArchiveCommands.archiveCommand(archiveDir: "/var/lib/postgresql/wal_archive"))
        let segments = try archivedSegments()
        XCTAssertFalse(segments.isEmpty, "pg_switch_wal's segment is in the archive on the host")
        for name in segments {
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: archiveVolume + "/" + name)[.size] as? Int, 16 << 20, name)
        }

        try psql("CREATE TABLE pitr_events (batch int NOT NULL, n int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        try mustSucceed("base-backup")
        let entries = try catalog().backups
        XCTAssertEqual(entries.count, 1)
        let entry = try XCTUnwrap(entries.first)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: hostBackupDir + "/" + entry.id).sorted(),
                       ["backup_manifest", "base.tar.gz", "pg_wal.tar.gz"])
        XCTAssertEqual(entry.files, ["backup_manifest", "base.tar.gz", "pg_wal.tar.gz"])
        XCTAssertEqual(entry.compression, "gzip")
        XCTAssertTrue(entry.verification.hasPrefix("pg_verifybackup 15 on an extracted copy"), entry.verification)
        XCTAssertLessThan(try XCTUnwrap(entry.startLSNValue), try XCTUnwrap(entry.stopLSNValue))
        XCTAssertEqual(WALSegment(containing: try XCTUnwrap(entry.startLSNValue), timeline: entry.timeline).fileName, entry.startWALFile)
        XCTAssertEqual(entry.systemIdentifier, try psql("SELECT system_identifier FROM pg_control_system()"))
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: hostBackupDir)
            .allSatisfy { !$0.hasSuffix(".partial") && !$0.hasSuffix(".verify") }, "no leftovers")

        var after: [Instant] = []
        for batch in 1...4 {
            try psql("INSERT INTO pitr_events (batch, n) SELECT \(batch), g FROM generate_series(1, 100) g")
            after.append(try clock())
            usleep(300_000)
        }
        XCTAssertEqual(try batches(), "1:100 2:100 3:100 4:100")
        return after
    }

    // MARK: - Tests

    /// As with the official postgres image: commands in the container run as root.
    func testPITRThroughComposeToATimeBetweenTwoBatchesKeepsExactlyTheEarlierBatches() throws {
        try recoverToATimeBetweenTwoBatches(rootContainer: true)
    }

    /// As with images that run as the server's user throughout (e.g. Bitnami's).
    func testPITRThroughComposeWithANonRootContainerKeepsExactlyTheEarlierBatches() throws {
        try recoverToATimeBetweenTwoBatches(rootContainer: false)
    }

    func recoverToATimeBetweenTwoBatches(rootContainer: Bool) throws {
        try prepare(rootContainer: rootContainer)
        let after = try archiveBackupAndWriteBatches()
        let marker = UUID().uuidString
        try Data(marker.utf8).write(to: URL(fileURLWithPath: hostDataDir + "/pitr-test-marker"))
        let target = after[1]  // batches 1 and 2 committed before it, 3 and 4 after
        let started = Date()
        let out = try mustSucceed("pitr", ["target_time": target.postgresText,
                                           "verify_sql": "SELECT count(*) FROM pitr_events", "verify_expect": "200"])
        let seconds = Date().timeIntervalSince(started)

        XCTAssertEqual(try batches(), "1:100 2:100", out)
        XCTAssertEqual(try psql("SELECT pg_is_in_recovery()"), "f")
        XCTAssertEqual(try psql("SELECT timeline_id FROM pg_control_checkpoint()"), "2", "promotion starts a new timeline")
        let replayed = try XCTUnwrap(Instant.parseEpoch(try psql("SELECT extract(epoch FROM pg_last_xact_replay_timestamp())")))
        XCTAssertLessThanOrEqual(replayed, target)
        XCTAssertGreaterThan(replayed, after[0], "batch 2's commit was replayed")
        XCTAssertTrue(try serverLog().contains("recovery stopping before commit of transaction"))
        // PostgreSQL 12+ recovery settings, cleared after promotion.
        XCTAssertFalse(FileManager.default.fileExists(atPath: hostDataDir + "/recovery.signal"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: hostDataDir + "/pitr-test-marker"), "the data directory is the backup's")
        let autoConf = try String(contentsOfFile: hostDataDir + "/postgresql.auto.conf", encoding: .utf8)
        XCTAssertFalse(autoConf.contains("recovery_target"), autoConf)
        XCTAssertTrue(autoConf.contains("restore_command = 'cp /var/lib/postgresql/wal_archive/%f %p'"), autoConf)
        let data = try mode(hostDataDir)
        XCTAssertEqual(data.mode, 0o700)
        XCTAssertEqual(data.uid, postgresUID)
        XCTAssertEqual(try notOwnedByTheServer(hostDataDir), [], "the server's user owns every file it was given")
        // The replaced data directory was moved aside whole, beside the new one, never deleted.
        let kept = try siblings("pgdata.before-pitr-")
        XCTAssertEqual(kept.count, 1, "\((try? siblings("pgdata")) ?? [])")
        if let kept = kept.first {
            XCTAssertEqual(try String(contentsOfFile: postgresVolume + "/" + kept + "/pitr-test-marker", encoding: .utf8), marker)
            XCTAssertTrue(FileManager.default.fileExists(atPath: postgresVolume + "/" + kept + "/PG_VERSION"))
        }
        // Compose runs the service again, and it is a normal primary that takes writes.
        XCTAssertEqual(try settledState(), "running healthy")
        XCTAssertEqual(Set(try stack.engine.docker(["ps", "-a", "--format", "{{.Names}}"]).split(separator: "\n").map(String.init)),
                       Set(ComposeStack.services.map { "\(ComposeStack.projectName)-\($0)-1" }), "no one-off container is left behind")
        try psql("INSERT INTO pitr_events (batch, n) VALUES (5, 1)")
        // The work happened in the container: nothing ran on the host but docker.
        let audit = try String(contentsOfFile: state + "/audit.jsonl", encoding: .utf8)
        XCTAssertTrue(audit.contains("compose run \(Self.service)"), "unpacked in a one-off container")
        XCTAssertFalse(audit.contains(stack.pgPassword), "a secret value is in the audit trail")
        print("pitr through docker compose (\(rootContainer ? "root" : "non-root") container): wall time \(String(format: "%.1f", seconds))s")
    }

    func testFailedVerificationThroughComposeRollsBackToTheOriginalDataDirectory() throws {
        try prepare(rootContainer: true)
        _ = try archiveBackupAndWriteBatches()
        let marker = UUID().uuidString
        try Data(marker.utf8).write(to: URL(fileURLWithPath: hostDataDir + "/pitr-test-marker"))
        let target = try clock()
        // Recovery to "now" keeps all 400 rows; expecting 999 makes the verification fail on purpose.
        let out = try runbook("pitr", ["target_time": target.postgresText,
                                       "verify_sql": "SELECT count(*) FROM pitr_events", "verify_expect": "999"])
        XCTAssertNotEqual(out.status, 0, out.text)
        XCTAssertTrue(out.text.contains("returned \"400\", expected \"999\""), out.text)
        XCTAssertEqual(try settledState(), "running healthy", "the rollback starts the service again")
        XCTAssertEqual(try String(contentsOfFile: hostDataDir + "/pitr-test-marker", encoding: .utf8), marker,
                       "the original data directory is back")
        XCTAssertEqual(try batches(), "1:100 2:100 3:100 4:100")
        XCTAssertEqual(try psql("SELECT timeline_id FROM pg_control_checkpoint()"), "1")
        XCTAssertEqual(try psql("SELECT pg_is_in_recovery()"), "f")
        XCTAssertTrue(try siblings("pgdata.before-pitr-").isEmpty)
        let failed = try siblings("pgdata.failed-pitr-")
        XCTAssertEqual(failed.count, 1, "the failed recovery is kept for diagnosis")
        if let failed = failed.first {
            XCTAssertFalse(FileManager.default.fileExists(atPath: postgresVolume + "/" + failed + "/pitr-test-marker"))
            XCTAssertTrue(FileManager.default.fileExists(atPath: postgresVolume + "/" + failed + "/PG_VERSION"))
        }
        try psql("INSERT INTO pitr_events (batch, n) VALUES (5, 1)")
    }
}

extension PITRDockerTests {
    /// What is in the container's own writable layer vanishes with the container, and a base
    /// backup there could never be unpacked by a recovery (that happens in a one-off
    /// container, which does not see it): wal-archiving-setup refuses such an archive before
    /// changing anything, base-backup refuses to take such a backup, and pitr refuses one
    /// before anything is stopped. Then pruning, with the backups where they belong.
    func testArchivesAndBackupsOutsideTheServiceVolumesAreRefusedAndPruningKeepsWhatTheOldestNeeds() throws {
        try prepare(rootContainer: true)
        let noArchive = try runbook("wal-archiving-setup", ["archive_dir": "/tmp/wal_archive"])
        XCTAssertNotEqual(noArchive.status, 0, noArchive.text)
        XCTAssertTrue(noArchive.text.contains("/tmp/wal_archive is not on a volume of \(Self.service)"), noArchive.text)
        XCTAssertEqual(try psql("SHOW archive_mode"), "off", "nothing was changed")
        XCTAssertEqual(try psql("SHOW archive_command"), "(disabled)")

        let after = try archiveBackupAndWriteBatches()
        let inContainerOnly = "/tmp/pitr-backups"
        let refused = try runbook("base-backup", ["backup_dir": inContainerOnly])
        XCTAssertNotEqual(refused.status, 0, refused.text)
        XCTAssertTrue(refused.text.contains("\(inContainerOnly) is not on a volume of \(Self.service)"), refused.text)
        XCTAssertEqual(try stack.compose(["exec", "-T", Self.service, "ls", "-A", inContainerOnly])
            .trimmingCharacters(in: .whitespacesAndNewlines), "", "no backup, no probe file left behind")

        // The good backup copied there by hand: the running server's container sees it, a recovery would not.
        try stack.compose(["exec", "-T", Self.service, "cp", "-a", "/backups/aqstream/base/.", inContainerOnly])
        let startedBefore = try stack.startedAt(Self.service)
        let out = try runbook("pitr", ["backup_dir": inContainerOnly, "target_time": after[1].postgresText])
        XCTAssertNotEqual(out.status, 0, out.text)
        XCTAssertTrue(out.text.contains("missing from a one-off container of \(Self.service) (is \(inContainerOnly) on a volume?)"), out.text)
        XCTAssertEqual(try stack.startedAt(Self.service), startedBefore, "the server was never stopped")
        XCTAssertEqual(try settledState(), "running healthy")
        XCTAssertTrue(try siblings("pgdata.").isEmpty, "nothing was moved")
        XCTAssertEqual(try batches(), "1:100 2:100 3:100 4:100")

        // Where they belong, a second backup prunes the archive through the container: the
        // segments before the oldest backup's start go, everything from it on stays.
        try mustSucceed("base-backup", ["prune_wal": "true"])
        XCTAssertEqual(try catalog().backups.count, 2)
        let oldestStart = try XCTUnwrap(try catalog().oldest?.startSegment)
        let kept = try archivedSegments().compactMap { WALSegment(fileName: $0) }
        XCTAssertFalse(kept.contains { $0.number < oldestStart.number }, "\(kept)")
        XCTAssertEqual(Set(kept.map(\.number)), Set(oldestStart.number...(try XCTUnwrap(kept.map(\.number).max()))))
        XCTAssertGreaterThan(oldestStart.number, 1, "there was something to prune")
    }
}
