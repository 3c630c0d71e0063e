import Crypto
import Foundation
@testable import RunbookActions
import XCTest

/// The lost host, through the shipped runbooks only: a real PostgreSQL 15 archives with
/// `runbook wal-push` into a real `rclone serve s3` (its own credentials), `base-backup
/// --param offsite=true --param keep_local=false` streams the base backup there encrypted to
/// a key from the real `age-keygen`; then the data directory, the local backup directory and
/// the archive directory are deleted and `pitr --param source=repository` recovers from the
/// repository alone. Every table is compared by md5 of its ordered rows.
final class PITRFromRepositoryTests: WALClusterTestCase {
    var profile = ""

    override func setUp() async throws {
        try await super.setUp()
        profile = cluster.root + "/profile.yaml"
        let c = repository.config
        try """
            profile: pitr-offsite-test
            secrets:
              repo_access_key: {env: TEST_REPO_ACCESS_KEY}
              repo_secret_key: {env: TEST_REPO_SECRET_KEY}
              repo_identity: {env: RUNBOOK_REPO_IDENTITY}
            targets:
              db:
                postgres:
                  via: local
                  host: \(cluster.socketDir)
                  port: \(cluster.port)
                  user: \(PITRCluster.superuser)
                  data_dir: \(cluster.dataDir)
                  bin_dir: \(PITRCluster.binDir)
              offsite:
                repository:
                  endpoint: \(c.endpoint)
                  bucket: \(c.bucket)
                  prefix: \(c.prefix)
                  access_key: "${secrets.repo_access_key}"
                  secret_key: "${secrets.repo_secret_key}"
                  recipients: [\(c.recipients.joined(separator: ", "))]

            """.write(toFile: profile, atomically: true, encoding: .utf8)
    }

    struct Output {
        var status: Int32
        var text: String
    }

    /// `runbook run NAME` with the repository's credentials, and the identity only when given;
    /// `backup_dir` and `archive_dir` are the cluster's unless `directories` is false (a runbook without them).
    func runbook(_ name: String, _ params: [String: String], identity: String? = nil, directories: Bool = true) throws -> Output {
        var args = ["run", name, "--profile", profile, "--state-dir", cluster.stateDir, "--yes",
                    "--runbooks-dir", PITRRunbookCLI.repoRoot + "/runbooks"]
        if directories { args += ["--param", "backup_dir=\(cluster.backupDir)", "--param", "archive_dir=\(cluster.archiveDir)"] }
        for key in params.keys.sorted() { args += ["--param", "\(key)=\(params[key]!)"] }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["TEST_REPO_ACCESS_KEY"] = repository.config.accessKey
        env["TEST_REPO_SECRET_KEY"] = repository.config.secretKey
        env.removeValue(forKey: "RUNBOOK_REPO_IDENTITY")
        if let identity { env["RUNBOOK_REPO_IDENTITY"] = try String(contentsOfFile: identity, encoding: .utf8) }
        let base = cluster.root + "/cli-" + UUID().uuidString.prefix(8)
        defer { unlink(base + ".out"); unlink(base + ".err") }
        let status = try ChildProcess.spawn([PITRRunbookCLI.path] + args, environment: env, stdout: base + ".out", stderr: base + ".err").wait()
        let text = ((try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "") + ((try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
        return Output(status: status, text: text)
    }

    @discardableResult
    func mustSucceed(_ name: String, _ params: [String: String], identity: String? = nil, directories: Bool = true,
                     file: StaticString = #filePath, line: UInt = #line) throws -> Output {
        let out = try runbook(name, params, identity: identity, directories: directories)
        XCTAssertEqual(out.status, 0, "runbook \(name) failed:\n\(out.text)", file: file, line: line)
        if out.status != 0 { throw PITRCluster.HarnessError(description: "runbook \(name) failed") }
        return out
    }

    /// archive_mode on, archive_command = wal-push into the repository (as PostgreSQL runs it).
    func archiveToTheRepository() throws {
        try cluster.psql("ALTER SYSTEM SET archive_mode = 'on'")
        try cluster.psql("ALTER SYSTEM SET archive_command = '\(try RunbookCLI.binary()) wal-push --config \(repository.configPath) %p'")
        try cluster.psql("ALTER SYSTEM SET archive_timeout = '60s'")
        try cluster.stopFast()
        try cluster.start()
    }

    /// archive_command = wal-push into the repository, then a base backup streamed there
    /// (no local copy), then batch A, a time, batch B, and a switch so B's WAL is archived.
    func backUpAndWriteTwoBatches() async throws -> (afterA: [String: String], between: Instant, afterB: [String: String]) {
        try archiveToTheRepository()
        try cluster.psql("CREATE TABLE accounts (id int primary key, balance int); CREATE TABLE events (id bigserial primary key, body text)")
        try cluster.psql("INSERT INTO accounts SELECT g, g * 10 FROM generate_series(1, 500) g")

        let backup = try mustSucceed("base-backup", ["offsite": "true", "keep_local": "false"])
        XCTAssertTrue(backup.text.contains("no local copy"), backup.text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cluster.backupDir + "/catalog.json"), "keep_local=false keeps nothing in backup_dir")

        try cluster.psql("UPDATE accounts SET balance = balance + 1 WHERE id <= 250; INSERT INTO events (body) SELECT 'A ' || g FROM generate_series(1, 300) g")
        let afterA = try TableChecksums.of { try cluster.psql($0) }
        try await Task.sleep(nanoseconds: 1_100_000_000)
        let between = try cluster.clock()
        try await Task.sleep(nanoseconds: 1_100_000_000)
        try cluster.psql("DELETE FROM accounts WHERE id > 400; INSERT INTO events (body) SELECT 'B ' || g FROM generate_series(1, 300) g")
        let afterB = try TableChecksums.of { try cluster.psql($0) }
        XCTAssertNotEqual(afterA, afterB)
        let last = try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())")
        try await waitUntilArchived(last, within: 30)
        return (afterA, between, afterB)
    }

    /// `runbook info --format json` with the repository's credentials and no identity.
    func infoJSON() throws -> [String: Any] {
        var env = ProcessInfo.processInfo.environment
        env["TEST_REPO_ACCESS_KEY"] = repository.config.accessKey
        env["TEST_REPO_SECRET_KEY"] = repository.config.secretKey
        env.removeValue(forKey: "RUNBOOK_REPO_IDENTITY")
        let base = cluster.root + "/info-" + UUID().uuidString.prefix(8)
        defer { unlink(base + ".out"); unlink(base + ".err") }
        let status = try ChildProcess.spawn([PITRRunbookCLI.path, "info", "--profile", profile, "--state-dir", cluster.stateDir,
                                             "--base-backup-dir", cluster.backupDir, "--wal-archive", cluster.archiveDir, "--format", "json"],
                                            environment: env, stdout: base + ".out", stderr: base + ".err").wait()
        let out = try Data(contentsOf: URL(fileURLWithPath: base + ".out"))
        XCTAssertEqual(status, 0, (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: out) as? [String: Any])
    }

    func waitUntilArchived(_ name: String, within seconds: TimeInterval) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await repository.keys().contains(where: { $0.hasPrefix(repository.config.prefix + "wal/\(name).") }) { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        XCTFail("\(name) was not archived to the repository within \(seconds)s")
    }

    /// The host is lost: the server, its data directory, the local backups, any archive.
    func loseTheHost() throws {
        if cluster.isRunning { try cluster.stopFast() }
        for dir in [cluster.dataDir, cluster.backupDir, cluster.archiveDir] where FileManager.default.fileExists(atPath: dir) {
            try FileManager.default.removeItem(atPath: dir)
        }
    }

    func recoverFromTheRepository(_ params: [String: String]) throws -> Output {
        let out = try mustSucceed("pitr", params.merging(["source": "repository", "flush_wal": "false",
                                                          "runbook_binary": try RunbookCLI.binary()]) { $1 },
                                  identity: repository.identityPath)
        XCTAssertEqual(try cluster.psql("SELECT pg_is_in_recovery()"), "f")
        // wal-fetch's configuration and identity are gone once the server was promoted.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cluster.root).filter { $0.contains(".wal-fetch-") }
        XCTAssertEqual(leftovers, [], "the identity file must not outlive the recovery")
        XCTAssertFalse(try String(contentsOfFile: cluster.dataDir + "/postgresql.auto.conf", encoding: .utf8).contains("AGE-SECRET-KEY"))
        XCTAssertFalse(out.text.contains("AGE-SECRET-KEY"), "the identity must never be printed")
        let recorded = FileManager.default.enumerator(atPath: cluster.stateDir)?.compactMap { $0 as? String } ?? []
        XCTAssertFalse(recorded.isEmpty, "the run keeps a journal and an audit trail")
        for file in recorded {
            guard let text = try? String(contentsOfFile: cluster.stateDir + "/" + file, encoding: .utf8) else { continue }
            XCTAssertFalse(text.contains("AGE-SECRET-KEY"), "the identity is in \(file)")
        }
        return out
    }

    // MARK: - Tests

    func testLostHostRecoversToATimeBetweenTwoBatchesAndThenToTheLatestPointFromTheRepositoryAlone() async throws {
        let (afterA, between, afterB) = try await backUpAndWriteTwoBatches()

        try loseTheHost()
        let toTime = try recoverFromTheRepository(["target_time": between.postgresText])
        XCTAssertTrue(toTime.text.contains("fetched from"), toTime.text)
        XCTAssertTrue(toTime.text.contains("verified with pg_verifybackup after unpacking"), "a streamed backup is verified before recovery:\n\(toTime.text)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: cluster.dataDir + "/backup_manifest"), "pg_basebackup put the manifest inside the streamed tar")
        XCTAssertEqual(try TableChecksums.of { try cluster.psql($0) }, afterA, "between the batches: A present, B absent")

        try loseTheHost()
        _ = try recoverFromTheRepository(["target_latest": "true"])
        XCTAssertEqual(try TableChecksums.of { try cluster.psql($0) }, afterB, "the latest point: A and B present")
    }

    func testAWrongIdentityAndATamperedBaseBackupAreRefusedBeforeTheDataDirectoryIsTouched() async throws {
        _ = try await backUpAndWriteTwoBatches()
        let before = try TableChecksums.of { try cluster.psql($0) }
        let listing = try FileManager.default.contentsOfDirectory(atPath: cluster.dataDir).sorted()
        let siblings = { try FileManager.default.contentsOfDirectory(atPath: self.cluster.root).filter { $0.hasPrefix("data.") && !$0.hasSuffix(".server.log") } }

        let stranger = cluster.root + "/stranger.txt"
        _ = try AgeCLI.keygen(stranger)
        let wrong = try runbook("pitr", ["source": "repository", "target_latest": "true", "flush_wal": "false"], identity: stranger)
        XCTAssertNotEqual(wrong.status, 0, wrong.text)
        XCTAssertTrue(wrong.text.contains("secret repo_identity does not open base/"), wrong.text)
        XCTAssertTrue(wrong.text.contains("nothing was fetched, the server and its data directory are untouched"), wrong.text)

        let missing = try runbook("pitr", ["source": "repository", "target_latest": "true", "flush_wal": "false"])
        XCTAssertNotEqual(missing.status, 0, missing.text)
        XCTAssertTrue(missing.text.contains("repo_identity"), missing.text)

        // One byte of the base backup's ciphertext flipped in the bucket.
        let objects = try await repository.raw.listObjects(bucket: repository.config.bucket, prefix: repository.config.prefix + "objects/base/")
        let key = try XCTUnwrap(objects.map(\.key).first { $0.hasSuffix(".age") })
        var stored = try await repository.download(key)
        stored[stored.count / 2] ^= 0x01
        try await repository.upload(key, stored)
        let tampered = try runbook("pitr", ["source": "repository", "target_latest": "true", "flush_wal": "false"], identity: repository.identityPath)
        XCTAssertNotEqual(tampered.status, 0, tampered.text)
        XCTAssertTrue(tampered.text.contains("was refused"), tampered.text)
        XCTAssertTrue(tampered.text.contains("nothing was unpacked, the server and its data directory are untouched"), tampered.text)

        // The server never stopped, its data directory was neither moved nor changed.
        XCTAssertTrue(cluster.isRunning)
        XCTAssertEqual(try TableChecksums.of { try cluster.psql($0) }, before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cluster.dataDir).sorted(), listing)
        XCTAssertEqual(try siblings(), [], "nothing was moved aside")
        let fetched = (try? FileManager.default.contentsOfDirectory(atPath: cluster.backupDir)) ?? []
        XCTAssertFalse(fetched.contains("catalog.json"), "a refused backup is not cataloged: \(fetched)")
    }

    /// `keep_local=true`: the verified local backup's files are pushed too, and the repository's
    /// WAL is pruned against the repository's own base backups; then a recovery from those files.
    func testAKeptLocalBackupIsPushedWholeAndPruningDeletesOnlyTheWALBeforeItsStart() async throws {
        try archiveToTheRepository()
        try cluster.psql("CREATE TABLE notes (id int primary key, body text); INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 200) g")
        var last = ""
        for _ in 1...3 { last = try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())"); try cluster.psql("INSERT INTO notes VALUES ((SELECT max(id) + 1 FROM notes), 'x')") }
        try await waitUntilArchived(last, within: 30)
        let walBefore = try await repository.keys()

        let out = try mustSucceed("base-backup", ["offsite": "true", "prune_offsite_wal": "true"])
        let record = try XCTUnwrap(try BaseBackupCatalog.decode(Data(contentsOf: URL(fileURLWithPath: cluster.backupDir + "/catalog.json"))).backups.first)
        let store = try RepositoryStore(config: repository.config)
        let entries = try await store.entries(namespace: "base")
        await store.shutdown()
        XCTAssertEqual(Set(entries.keys), Set(record.files.map { "base/\(record.id)/\($0)" }), "every file of the local backup is in the repository")
        for (name, entry) in entries {
            let file = String(name.split(separator: "/").last!)
            let local = try Data(contentsOf: URL(fileURLWithPath: cluster.backupDir + "/\(record.id)/\(file)"))
            XCTAssertEqual(entry.plaintextSHA256, RepositoryStore.hex(SHA256.hash(data: local)), name)
            XCTAssertEqual(entry.metadata?["record"].flatMap { try? JSONDecoder().decode(BaseBackupRecord.self, from: Data($0.utf8)) }, record, name)
        }

        let walAfter = try await repository.keys()
        let audit = try String(contentsOfFile: cluster.stateDir + "/audit.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertTrue(out.text.contains("pruned"), out.text)
        let deleted = Set(walBefore).subtracting(walAfter)
        let start = try XCTUnwrap(record.startSegment)
        XCTAssertFalse(deleted.isEmpty, "segments older than the backup were archived, so some must go")
        for key in deleted {
            let name = String(key.dropFirst((repository.config.prefix + "wal/").count).prefix(24))
            XCTAssertLessThan(try XCTUnwrap(WALSegment(fileName: name)).number, start.number, "\(key) was needed")
            XCTAssertEqual(audit.filter { $0.contains("\"pitr.prune-wal.delete\"") && $0.contains(key) }.count, 1, "every deletion is in the audit trail: \(key)")
        }
        for key in walAfter {
            let name = String(key.dropFirst((repository.config.prefix + "wal/").count).prefix(24))
            if let segment = WALSegment(fileName: name) { XCTAssertGreaterThanOrEqual(segment.number, start.number, "\(key) should have been pruned") }
        }

        try cluster.psql("INSERT INTO notes SELECT g, 'late' FROM generate_series(1000, 1100) g")
        let expected = try TableChecksums.of { try cluster.psql($0) }
        let switched = try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())")
        try await waitUntilArchived(switched, within: 30)
        try loseTheHost()
        _ = try recoverFromTheRepository(["target_latest": "true"])
        XCTAssertEqual(try TableChecksums.of { try cluster.psql($0) }, expected)
    }

    /// Retention in the repository: three streamed base backups with keep_offsite=2, and an
    /// interrupted push's entry: the oldest and the leftover are unlisted and their objects
    /// deleted, each named in the audit trail; the two newest still decrypt with the real `age`
    /// to their recorded sha256. keep_offsite=0 is below the floor: refused before the first step, it
    /// neither pushes nor deletes anything.
    func testRetentionKeepsTheNewestCompleteBaseBackupsAndRecordsEachDeletion() async throws {
        try archiveToTheRepository()
        try cluster.psql("CREATE TABLE notes (id int primary key); INSERT INTO notes SELECT generate_series(1, 100)")
        let params = ["offsite": "true", "keep_local": "false", "keep_offsite": "2"]
        let store = try RepositoryStore(config: repository.config)
        defer { Task { await store.shutdown() } }
        var ids: [String] = []
        for round in 1...3 {
            if round == 3 { _ = try await store.pushData(name: "base/base-interrupted/base.tar.gz", data: Data("cut short".utf8)) }
            try mustSucceed("base-backup", params)
            let (catalog, _) = BaseBackupOffsite.catalog(try await store.entries(namespace: "base"))
            ids.append(try XCTUnwrap(catalog.backups.map(\.id).first { !ids.contains($0) }, "round \(round) added a backup"))
            try await Task.sleep(nanoseconds: 1_100_000_000) // ids are the run's start time to the second
        }

        let entries = try await store.entries(namespace: "base")
        XCTAssertEqual(Set(entries.keys), Set(ids.suffix(2).map { "base/\($0)/base.tar.gz" }), "the oldest and the leftover are unlisted")
        let objects = try await repository.raw.listObjects(bucket: repository.config.bucket, prefix: repository.config.prefix + "objects/base/")
        XCTAssertEqual(Set(objects.map(\.key)), Set(entries.values.map(\.key)), "their objects are gone from the bucket")
        for (name, entry) in entries {
            let cipher = cluster.root + "/kept.age", plain = cluster.root + "/kept.tar.gz"
            try await repository.download(entry.key).write(to: URL(fileURLWithPath: cipher))
            try AgeCLI.run(["age", "-d", "-i", repository.identityPath, "-o", plain, cipher], in: cluster.root)
            XCTAssertEqual(try AgeCLI.sha256(plain), entry.plaintextSHA256, name)
        }
        let audit = try String(contentsOfFile: cluster.stateDir + "/audit.jsonl", encoding: .utf8).split(separator: "\n")
        let deletions = audit.filter { $0.contains("\"pitr.repository-retention.delete\"") }
        XCTAssertEqual(deletions.count, 2, deletions.joined(separator: "\n"))
        XCTAssertEqual(deletions.filter { $0.contains("base/\(ids[0])/base.tar.gz") && $0.contains("older than the 2 newest") }.count, 1, "\(deletions)")
        XCTAssertEqual(deletions.filter { $0.contains("base/base-interrupted/base.tar.gz") && $0.contains("incomplete") }.count, 1, "\(deletions)")

        // runbook info reads the same manifest, without the identity: the two kept backups, the newest last.
        let info = try infoJSON()
        let base = try XCTUnwrap((info["offsite"] as? [String: Any])?["base_backups"] as? [String: Any], "\(info)")
        XCTAssertEqual(base["complete"] as? Int, 2)
        XCTAssertEqual(base["recoverable"] as? Int, 2, "the repository's WAL brings both to consistency")
        XCTAssertEqual(base["incomplete"] as? [String], [], "retention deleted the leftover")
        let newest = try XCTUnwrap(base["newest"] as? [String: Any])
        XCTAssertEqual(newest["id"] as? String, ids[2])
        let (catalog, _) = BaseBackupOffsite.catalog(entries)
        XCTAssertEqual(newest["size_bytes"] as? Int, catalog.backups.last?.bytes)
        XCTAssertEqual(newest["first_segment"] as? String, catalog.backups.last?.startWALFile)

        let belowFloor = try runbook("base-backup", params.merging(["keep_offsite": "0"]) { $1 })
        XCTAssertNotEqual(belowFloor.status, 0, belowFloor.text)
        XCTAssertTrue(belowFloor.text.contains("base-backup.yaml:106:13: error: input \"keep\" of pitr.repository-retention (step \"offsite-retention\") must be at least 1, got 0 from param \"keep_offsite\" [input-minimum]"), belowFloor.text)
        // Refused before the first step: no base backup was taken or pushed, nothing was deleted.
        let (after, _) = BaseBackupOffsite.catalog(try await store.entries(namespace: "base"))
        XCTAssertEqual(Set(after.backups.map(\.id)), Set(ids.suffix(2)), "keep_offsite=0 pushed or deleted a backup")
    }
}
