import Crypto
import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// `runbook run backup --param offsite=true` end to end: the built binary, PostgreSQL 15 (the
/// suite's throwaway cluster), `rclone serve s3` as the repository (its own credentials), keys
/// from the real `age-keygen`, and the real `age` CLI and pg_restore reading what was pushed.
/// The profile declares `repo_identity`, but no test run provides it: backups never need it.
final class OffsiteBackupTests: PostgresSuite {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var sharedServer: S3Server?
    var server: S3Server!
    var cli: RunbookCLI!
    var work = ""
    var bucket = ""
    var raw: S3Client!
    var store: RepositoryStore!

    override class func tearDown() {
        lock.withLock { sharedServer?.stop(); sharedServer = nil }
        super.tearDown()
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        server = try Self.lock.withLock { () throws -> S3Server in
            if let server = Self.sharedServer { return server }
            let started = try S3Server.start(.rclone)
            Self.sharedServer = started
            return started
        }
        work = cluster.root + "/offsite-" + UUID().uuidString.prefix(8)
        cli = try RunbookCLI(cluster: cluster, directory: work)
        let recipient = try AgeCLI.keygen(work + "/key.txt")
        bucket = "offsite-\(UUID().uuidString.prefix(8).lowercased())"
        try """
        profile: local-test
        secrets:
          pg_password: {env: \(RunbookCLI.passwordVariable)}
          repo_access_key: {env: TEST_REPO_ACCESS_KEY}
          repo_secret_key: {env: TEST_REPO_SECRET_KEY}
          repo_identity: {env: RUNBOOK_REPO_IDENTITY}
        targets:
          db:
            postgres: {via: local, host: 127.0.0.1, port: \(cluster.port), user: aqstream, password: "${secrets.pg_password}"}
          offsite:
            repository:
              endpoint: \(server.endpoint)
              bucket: \(bucket)
              prefix: test/
              access_key: "${secrets.repo_access_key}"
              secret_key: "${secrets.repo_secret_key}"
              recipients: [\(recipient.description)]
        """.write(toFile: cli.profilePath, atomically: true, encoding: .utf8)
        let config = RepositoryConfig(endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey,
                                      bucket: bucket, prefix: "test/", recipients: [recipient.description])
        raw = S3Client(connection: try config.connection())
        store = try RepositoryStore(config: config)
        let created = expectation(description: "bucket")
        let client = raw!
        let name = bucket
        Task {
            _ = try? await client.createBucket(name)
            created.fulfill()
        }
        wait(for: [created], timeout: 30)
    }

    override func tearDown() async throws {
        await store?.shutdown()
        await raw?.shutdown()
    }

    var environment: [String: String] {
        var env = cli.environment
        env["TEST_REPO_ACCESS_KEY"] = server.accessKey
        env["TEST_REPO_SECRET_KEY"] = server.secretKey
        env.removeValue(forKey: "RUNBOOK_REPO_IDENTITY")
        return env
    }

    static let databases = ["shared_services_db", "user_service_db", "payment_service_db"]

    func params(keepLocal: Bool, databases: [String] = OffsiteBackupTests.databases, extra: [String: String] = [:]) -> [String: String] {
        ["databases": databases.joined(separator: ","), "backup_dir": backups, "media": "false", "offsite": "true",
         "keep_local": keepLocal ? "true" : "false"].merging(extra) { $1 }
    }

    func start(_ params: [String: String]) throws -> (ChildProcess, String) {
        let log = cli.state + "-" + UUID().uuidString.prefix(6) + ".log"
        return (try ChildProcess.spawn(try cli.argv(run: "backup", params), environment: environment, stdout: log, stderr: log), log)
    }

    func backup(_ params: [String: String]) throws -> (status: Int32, output: String) {
        let (child, log) = try start(params)
        let status = try child.wait()
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    func download(_ key: String, to path: String) async throws {
        let response = try await raw.getObject(bucket: bucket, key: key)
        var data = Data()
        for try await buffer in response.body { data.append(contentsOf: buffer.readableBytesView) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    // MARK: - Tests

    func testOffsiteBackupWithoutALocalCopyPushesEveryDumpThatAgeAndPgRestoreReadBack() async throws {
        let result = try backup(params(keepLocal: false))
        XCTAssertEqual(result.status, 0, result.output)

        // No dump on disk: the backup directory holds only the manifest (and no leftovers).
        XCTAssertEqual(files(backups).filter { !$0.hasPrefix(".") || $0.hasSuffix(OrphanSweep.claimSuffix) }, [DumpManifest.fileName],
                       "\(files(backups))")
        let local = try ManifestStore(directory: backups).read().artifacts
        XCTAssertEqual(Set(local.map(\.database)), Set(Self.databases + ["globals"]))
        XCTAssertTrue(local.allSatisfy { !$0.isLocal && $0.offsite?.localCopy == false }, "\(local)")
        XCTAssertThrowsError(try ArtifactLocator.latest(directory: backups, database: "user_service_db"),
                             "latest never names an artifact that has no local file")

        // The repository lists every dump and the globals, each with its record and both digests.
        let entries = try await store.entries(namespace: "dumps")
        XCTAssertEqual(Set(entries.keys), Set(local.map { "dumps/" + $0.path }))
        for (name, entry) in entries {
            let record = try DumpManifest.decoder().decode(DumpRecord.self, from: Data(try XCTUnwrap(entry.metadata?["record"], name).utf8))
            let mine = try XCTUnwrap(local.first { "dumps/" + $0.path == name })
            XCTAssertEqual(record.sha256, entry.plaintextSHA256, name)
            XCTAssertEqual(record.size, entry.plaintextSize, name)
            XCTAssertEqual(record, mine.portable, name)
            XCTAssertNil(record.offsite, "the pushed record is the one a restoring host keeps: \(name)")
            XCTAssertEqual(mine.offsite?.ciphertextSHA256, entry.ciphertextSHA256, name)
            XCTAssertEqual(mine.offsite?.key, entry.key, name)
            XCTAssertGreaterThan(entry.ciphertextSize, entry.plaintextSize, name)
        }
        let pushes = cli.auditLines.filter { $0.contains("\"event\":\"repository.push\"") }
        XCTAssertEqual(pushes.count, 4, "\(pushes)")

        // The real age CLI opens a pulled object with the identity age-keygen made, and
        // pg_restore restores it to the same rows as the source.
        let name = try XCTUnwrap(entries.keys.first { $0.hasPrefix("dumps/shared_services_db-") })
        let entry = try XCTUnwrap(entries[name])
        try await download(entry.key, to: work + "/pulled.age")
        XCTAssertEqual(try AgeCLI.sha256(work + "/pulled.age"), entry.ciphertextSHA256)
        try AgeCLI.run(["age", "-d", "-i", work + "/key.txt", "-o", work + "/pulled.dump", work + "/pulled.age"], in: work)
        XCTAssertEqual(try AgeCLI.sha256(work + "/pulled.dump"), entry.plaintextSHA256)
        let copy = "offsite_copy_\(UUID().uuidString.prefix(6).lowercased())"
        try cluster.psql("postgres", "CREATE DATABASE \(copy)")
        defer { _ = try? cluster.psql("postgres", "DROP DATABASE \(copy)") }
        try cluster.client([PostgresCluster.binDir + "/pg_restore", "--no-owner", "-d", copy, work + "/pulled.dump"])
        let source = try TableChecksums.of { try cluster.psql("shared_services_db", $0) }
        let restored = try TableChecksums.of { try cluster.psql(copy, $0) }
        XCTAssertFalse(source.isEmpty)
        XCTAssertEqual(restored, source)

        // The globals too: age decrypts them to pg_dumpall's complete script.
        let globals = try XCTUnwrap(entries.first { $0.key.hasPrefix("dumps/globals-") }?.value)
        try await download(globals.key, to: work + "/globals.age")
        try AgeCLI.run(["age", "-d", "-i", work + "/key.txt", "-o", work + "/globals.sql", work + "/globals.age"], in: work)
        let script = try String(contentsOfFile: work + "/globals.sql", encoding: .utf8)
        XCTAssertTrue(script.contains("CREATE ROLE aqstream") && script.contains("PostgreSQL database cluster dump complete"))
    }

    func testKeepLocalPushesTheSamePlaintextItKeeps() async throws {
        let result = try backup(params(keepLocal: true, databases: ["user_service_db"]))
        XCTAssertEqual(result.status, 0, result.output)
        let local = try ManifestStore(directory: backups).read().artifacts
        XCTAssertEqual(local.count, 2)
        let entries = try await store.entries(namespace: "dumps")
        for record in local {
            let file = backups + "/" + record.path
            XCTAssertEqual(try DumpDigest.sha256(of: file), record.sha256, record.path)
            XCTAssertTrue(record.isLocal)
            let entry = try XCTUnwrap(entries["dumps/" + record.path], record.path)
            XCTAssertEqual(entry.plaintextSHA256, record.sha256, record.path)
            XCTAssertEqual(entry.plaintextSize, record.size, record.path)
            XCTAssertEqual(record.offsite?.key, entry.key)
        }
        // A local restore still finds it.
        XCTAssertNoThrow(try ArtifactLocator.latest(directory: backups, database: "user_service_db"))
    }

    func testRepositoryRetentionKeepsTheFloorAndRecordsEachDeletion() async throws {
        let policy = ["keep_days": "0", "keep_min": "1"]
        let first = try backup(params(keepLocal: false, databases: ["user_service_db"], extra: policy))
        XCTAssertEqual(first.status, 0, first.output)
        let before = try await store.entries(namespace: "dumps")
        XCTAssertEqual(before.count, 2, "the floor keeps the only dump of each: \(before.keys)")
        sleep(1) // artifacts are named to the second
        let second = try backup(params(keepLocal: false, databases: ["user_service_db"], extra: policy))
        XCTAssertEqual(second.status, 0, second.output)
        let after = try await store.entries(namespace: "dumps")
        XCTAssertEqual(after.count, 2, "keep_min=1: one dump of user_service_db and one of the globals: \(after.keys)")
        XCTAssertTrue(Set(after.keys).isDisjoint(with: before.keys), "the newest of each is the second run's")
        let deletions = cli.auditLines.filter { $0.contains("\"event\":\"repository.retention.delete\"") }
        XCTAssertEqual(deletions.count, 2, "\(deletions)")
        for name in before.keys {
            XCTAssertTrue(deletions.contains { $0.contains("\"name\":\"\(name)\"") && $0.contains("older than keep_days=0") }, "\(name): \(deletions)")
        }
        for name in before.keys {
            XCTAssertTrue(second.output.contains("repository retention: deleted \(name): "), second.output)
        }
        // Their objects are gone from the bucket too, and the local manifest forgot them.
        let keys = try await raw.listObjects(bucket: bucket, prefix: "test/objects/dumps/").map(\.key)
        XCTAssertEqual(Set(keys), Set(after.values.map(\.key)))
        let local = try ManifestStore(directory: backups).read().artifacts.map { "dumps/" + $0.path }
        XCTAssertEqual(Set(local), Set(after.keys))
    }

    func testAPushKilledMidwayLeavesNothingListedAndTheNextRunCleansUp() async throws {
        let big = "offsite_big"
        _ = try? cluster.psql("postgres", "CREATE DATABASE \(big)")
        try cluster.psql(big, "DROP TABLE IF EXISTS filler; CREATE TABLE filler AS SELECT i, md5(i::text) || md5((i * 7)::text) AS t FROM generate_series(1, 1500000) i")
        let run = params(keepLocal: false, databases: [big], extra: ["format": "plain"])
        let (child, log) = try start(run)
        // Kill as soon as the upload has begun (a multipart upload is open in the bucket).
        let deadline = Date().addingTimeInterval(60)
        var open: [S3MultipartUpload] = []
        while Date() < deadline, open.isEmpty {
            open = try await raw.listMultipartUploads(bucket: bucket, prefix: "test/objects/dumps/")
            if open.isEmpty { usleep(20_000) }
        }
        XCTAssertFalse(open.isEmpty, "the push never started: " + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
        usleep(400_000) // mid-upload: parts are travelling
        kill(child.pid, SIGKILL)
        XCTAssertEqual(try child.wait(), 128 + SIGKILL)
        usleep(300_000)

        let listed = try await store.entries(namespace: "dumps")
        XCTAssertEqual(listed, [:], "nothing of a killed push is listed")
        let leftover = try await raw.listMultipartUploads(bucket: bucket, prefix: "test/objects/dumps/")
        XCTAssertFalse(leftover.isEmpty, "the killed push left its incomplete upload")
        XCTAssertFalse(files(backups).contains { !$0.hasPrefix(".") && !$0.hasSuffix(".partial") && $0 != DumpManifest.fileName },
                       "nothing complete-looking on disk: \(files(backups))")

        // What a kill between CompleteMultipartUpload and the manifest write leaves: a whole, unlisted object.
        let stray = "test/objects/dumps/\(big)-killed.sql/\(UUID().uuidString.lowercased()).age"
        try await raw.putObject(bucket: bucket, key: stray, data: Data("age-encryption.org/v1\n".utf8), contentType: "application/octet-stream")

        sleep(1) // artifacts are named to the second
        let next = try backup(run)
        XCTAssertEqual(next.status, 0, next.output)
        let pending = try await raw.listMultipartUploads(bucket: bucket, prefix: "test/objects/dumps/")
        XCTAssertEqual(pending, [], "the next run aborted the killed push's upload")
        let entries = try await store.entries(namespace: "dumps")
        XCTAssertEqual(entries.count, 2, "\(entries.keys)")
        let keys = try await raw.listObjects(bucket: bucket, prefix: "test/objects/dumps/").map(\.key)
        XCTAssertEqual(Set(keys), Set(entries.values.map(\.key)), "no stray object")
        // The clean-up is recorded, key by key: the killed upload and the unlisted object.
        let removals = cli.auditLines.filter { $0.contains("\"event\":\"repository.leftovers.removed\"") }
        for upload in open {
            XCTAssertTrue(removals.contains { $0.contains("\"aborted_uploads\":[") && $0.contains(upload.key) }, "\(upload.key): \(removals)")
        }
        XCTAssertTrue(removals.contains { $0.contains("\"deleted_objects\":[") && $0.contains(stray) }, "\(removals)")
        XCTAssertTrue(next.output.contains("removed what interrupted pushes left in dumps"), next.output)
        // What is listed is complete: each entry decrypts to the plaintext sha256 it records.
        let identities = try AgeIdentityFile.load(path: work + "/key.txt")
        for (name, entry) in entries {
            let pulled = work + "/pulled-" + UUID().uuidString.prefix(6)
            try await store.pull(name: name, to: pulled, identities: identities)
            XCTAssertEqual(try DumpDigest.sha256(of: pulled), entry.plaintextSHA256, name)
        }
        XCTAssertEqual(files(backups).filter { $0.hasSuffix(".partial") || $0.hasSuffix(OrphanSweep.claimSuffix) }, [],
                       "the killed run's FIFO and claim are gone")
    }
}
