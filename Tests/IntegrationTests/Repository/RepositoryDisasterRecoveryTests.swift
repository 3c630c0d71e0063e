import Foundation
@testable import RunbookActions
import XCTest

/// Recovery from a bare host (issue 17, part 5): the host that ran `backup` is lost with its
/// /backups; a new `initdb` cluster and an empty disk get everything from the repository.
/// Real PostgreSQL 15 (two clusters), a real `rclone serve s3` as the repository (its own
/// credentials), keys from the real `age-keygen`, driven through the built `runbook` binary.
///
/// The repository is filled by the nightly `backup --param offsite=true`: every dump and the
/// roles as `dumps/<file name>`, with the manifest record as the `record` metadata.
final class RepositoryDisasterRecoveryTests: XCTestCase {
    typealias Roles = DisasterRecoveryRolesTests
    var work = ""
    var s3: S3Server!
    var bucket = ""
    var old: PostgresCluster!
    var fresh: PostgresCluster!
    var health: HealthEndpoint!
    var keyText = "", wrongKeyText = ""
    var recipient = ""

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "runbook-repo-dr-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        s3 = try S3Server.start(.rclone)
        bucket = "repo-" + UUID().uuidString.prefix(8).lowercased()
        _ = try s3.aws(["s3", "mb", "s3://\(bucket)"])
        recipient = try AgeCLI.keygen(work + "/key.txt").description
        _ = try AgeCLI.keygen(work + "/wrong-key.txt")
        keyText = try String(contentsOfFile: work + "/key.txt", encoding: .utf8)
        wrongKeyText = try String(contentsOfFile: work + "/wrong-key.txt", encoding: .utf8)
    }

    override func tearDown() {
        health?.stop()
        fresh?.stop()
        old?.stop()
        s3?.stop()
        try? FileManager.default.removeItem(atPath: work)
    }

    func testALostHostIsRecoveredFromTheRepositoryAloneAndBadKeysOrObjectsTouchNothing() async throws {
        // The old host: roles, owners, grants and rows; the nightly backup; its artifacts offsite.
        old = try PostgresCluster()
        try Roles.createOwnedDatabase(old)
        let before = try Roles.snapshot(old)
        let backups = work + "/old-backups"
        let backup = try run(["run", "backup", "--param", "databases=\(Roles.database)", "--param", "backup_dir=\(backups)",
                              "--param", "media=false", "--param", "offsite=true"], cluster: old)
        XCTAssertEqual(backup.status, 0, backup.output)
        let pushed = try await withStore { try await $0.entries(namespace: "dumps") }
        XCTAssertEqual(pushed.count, 2, "the database's dump and the globals dump")
        old.stop()
        try FileManager.default.removeItem(atPath: backups)

        // The new host: a fresh initdb, no /backups at all.
        fresh = try PostgresCluster()
        health = try HealthEndpoint(cluster: fresh, s3: s3, databases: [Roles.database])
        let untouched = try catalogFacts(fresh)
        let bare = work + "/bare/backups/aqstream"
        let recover = ["run", "disaster-recovery", "--param", "source=repository", "--param", "manage_stack=false",
                       "--param", "media=false", "--param", "databases=\(Roles.database)", "--param", "backup_dir=\(bare)"]

        // No identity at all: refused before the first step, by the secret's diagnostic.
        let missing = try run(recover, cluster: fresh, identity: nil)
        XCTAssertEqual(missing.status, 1, missing.output)
        XCTAssertTrue(missing.output.contains("secret \"repo_identity\": environment variable RUNBOOK_REPO_IDENTITY is not set and file /etc/aqstream/secrets/repo_identity.txt cannot be read: No such file or directory [secret-unavailable]"), missing.output)
        XCTAssertFalse(missing.output.contains("check-identity"), "no step started:\n\(missing.output)")
        try assertNothingTouched(untouched, bare, missing.output)

        // A wrong identity: refused by the check, before anything is fetched or restored.
        let wrong = try run(recover, cluster: fresh, identity: wrongKeyText)
        XCTAssertNotEqual(wrong.status, 0, wrong.output)
        XCTAssertTrue(wrong.output.contains("secret repo_identity does not open dumps/"), wrong.output)
        XCTAssertTrue(wrong.output.contains("no identity matches"), wrong.output)
        XCTAssertFalse(wrong.output.contains(wrongKeyText.split(separator: "\n").last.map(String.init) ?? "AGE-SECRET-KEY"), "the key leaked")
        try assertNothingTouched(untouched, bare, wrong.output)

        // A tampered and a truncated object: the header still opens, the download is refused.
        let dump = try XCTUnwrap(pushed.first { $0.key.hasPrefix("dumps/\(Roles.database)") })
        let original = try s3Get(dump.value.key)
        var flipped = original
        flipped[original.count - 100] ^= 0x01
        // Cut right after a chunk (or the nonce): only the missing final chunk gives it away.
        let plain = Int(dump.value.plaintextSize), chunks = max(1, (plain + 65_535) / 65_536)
        let payloadStart = original.count - (16 + plain + 16 * chunks)
        let cut = original.prefix(payloadStart + 16 + (chunks >= 2 ? 65_552 : 0))
        for (label, damaged) in [("tampered", flipped), ("truncated", cut)] {
            try s3Put(dump.value.key, Data(damaged))
            let refused = try run(recover, cluster: fresh, identity: keyText)
            XCTAssertNotEqual(refused.status, 0, "\(label): \(refused.output)")
            XCTAssertTrue(refused.output.contains("secret repo_identity opens"), "\(label): the identity check passed first\n\(refused.output)")
            XCTAssertTrue(refused.output.contains(label == "tampered" ? "failed authentication" : "truncated"), "\(label): \(refused.output)")
            try assertNothingTouched(untouched, bare, refused.output)
        }
        try s3Put(dump.value.key, original)

        // The real recovery, from the repository alone.
        let recovery = try run(recover, cluster: fresh, identity: keyText)
        XCTAssertEqual(recovery.status, 0, recovery.output)
        let after = try Roles.snapshot(fresh)
        XCTAssertEqual(after.roles, before.roles, "role attributes, settings, comments and password hashes")
        XCTAssertEqual(after.memberships, before.memberships)
        XCTAssertEqual(after.owners, before.owners)
        XCTAssertEqual(after.acls, before.acls)
        XCTAssertEqual(after.rows, before.rows, "every table by md5 of its ordered rows")
        XCTAssertTrue(recovery.output.contains("created roles app_reader, event_owner, reader_user"), recovery.output)
        let mode = try FileManager.default.attributesOfItem(atPath: bare)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o700, "the backup directory a bare host lacked is created private")
        let local = try DumpManifest.decoder().decode(DumpManifest.self, from: Data(contentsOf: URL(fileURLWithPath: bare + "/manifest.json")))
        XCTAssertEqual(Set(local.artifacts.map(\.path)), Set(pushed.keys.map { String($0.dropFirst("dumps/".count)) }))
        XCTAssertFalse(recovery.output.contains(keyText.split(separator: "\n").last.map(String.init) ?? "AGE-SECRET-KEY"), "the key leaked")
        let audit = try String(contentsOfFile: work + "/state/audit.jsonl", encoding: .utf8)
        XCTAssertFalse(audit.contains("AGE-SECRET-KEY"), "the key is in the audit trail")
        XCTAssertTrue(audit.contains("\"event\":\"repository.fetch\""), "the fetch is audited")

        // One database on its own, from the repository, over its current contents.
        try fresh.psql(Roles.database, "DELETE FROM event_service.organizers")
        let single = try run(["run", "restore-database", "--param", "source=repository", "--param", "database=\(Roles.database)",
                              "--param", "backup_dir=\(work)/single"], cluster: fresh, identity: keyText)
        XCTAssertEqual(single.status, 0, single.output)
        XCTAssertEqual(try fresh.tableChecksums(Roles.database), before.rows, single.output)

        // The monthly test of the offsite copy, recorded where the next restoring host reads it.
        let verify = try run(["run", "verify-backup", "--param", "source=repository", "--param", "database=\(Roles.database)",
                              "--param", "backup_dir=\(work)/verify"], cluster: fresh, identity: keyText)
        XCTAssertEqual(verify.status, 0, verify.output)
        let entries = try await withStore { try await $0.entries(namespace: "dumps") }
        let record = try DumpManifest.decoder().decode(DumpRecord.self, from: Data(try XCTUnwrap(entries[dump.key]?.metadata?["record"]).utf8))
        XCTAssertEqual(record.restoreTests.count, 1)
        XCTAssertEqual(record.restoreTests.first?.passed, true)
        XCTAssertNotNil(record.restoreTests.first?.restoreSeconds)
        XCTAssertTrue(record.verified)
        XCTAssertEqual(entries[dump.key]?.key, dump.value.key, "only the metadata changed, not the object")
    }

    // MARK: - The repository

    func config() -> RepositoryConfig {
        RepositoryConfig(endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket: bucket,
                         prefix: "aqstream/", recipients: [recipient])
    }

    func withStore<T>(_ body: (RepositoryStore) async throws -> T) async throws -> T {
        try await RepositoryStore.using(config(), body)
    }

    func s3Get(_ key: String) throws -> Data {
        let file = work + "/object-" + UUID().uuidString.prefix(6)
        _ = try s3.aws(["s3", "cp", "s3://\(bucket)/\(key)", file])
        return try Data(contentsOf: URL(fileURLWithPath: file))
    }

    func s3Put(_ key: String, _ data: Data) throws {
        let file = work + "/object-" + UUID().uuidString.prefix(6)
        try data.write(to: URL(fileURLWithPath: file))
        _ = try s3.aws(["s3", "cp", file, "s3://\(bucket)/\(key)"])
    }

    // MARK: - What "nothing touched" means

    /// Databases with their oids, and roles with theirs: a refused run changes none of them.
    func catalogFacts(_ cluster: PostgresCluster) throws -> String {
        try cluster.psql("postgres", "SELECT string_agg(datname || ':' || oid, ',' ORDER BY datname) FROM pg_database")
            + "\n" + cluster.psql("postgres", "SELECT string_agg(rolname || ':' || oid, ',' ORDER BY rolname) FROM pg_roles")
    }

    func assertNothingTouched(_ facts: String, _ dir: String, _ output: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try catalogFacts(fresh), facts, "databases or roles changed:\n\(output)", file: file, line: line)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        XCTAssertEqual(left.filter { $0 != ".manifest.lock" }, [], "something was fetched or recorded:\n\(output)", file: file, line: line)
    }

    // MARK: - Running runbook

    func profile(_ cluster: PostgresCluster) throws -> String {
        let path = work + "/bare-\(cluster.port).yaml"
        try """
        profile: bare-host
        description: A new host with nothing but the profile; the repository is its only backup.
        secrets:
          pg_password: {env: RUNBOOK_TEST_PG_PASSWORD}
          repo_access_key: {env: RUNBOOK_TEST_REPO_ACCESS_KEY}
          repo_secret_key: {env: RUNBOOK_TEST_REPO_SECRET_KEY}
        targets:
          db:
            postgres: {via: local, host: 127.0.0.1, port: \(cluster.port), user: aqstream, password: "${secrets.pg_password}", bin_dir: \(PostgresCluster.binDir)}
          media:
            s3: {endpoint: "\(s3.endpoint)", region: us-east-1, access_key: "${secrets.repo_access_key}", secret_key: "${secrets.repo_secret_key}"}
          app:
            http: {base_url: "\(health?.url ?? "http://127.0.0.1:9")"}
          offsite:
            repository:
              endpoint: "\(s3.endpoint)"
              bucket: \(bucket)
              prefix: aqstream/
              access_key: "${secrets.repo_access_key}"
              secret_key: "${secrets.repo_secret_key}"
              recipients: [\(recipient)]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ args: [String], cluster: PostgresCluster, identity: String? = nil) throws -> PostgresRunbookCLITests.CLIResult {
        var secrets = ["RUNBOOK_TEST_PG_PASSWORD": cluster.password, "RUNBOOK_TEST_REPO_ACCESS_KEY": s3.accessKey,
                       "RUNBOOK_TEST_REPO_SECRET_KEY": s3.secretKey]
        if let identity { secrets["RUNBOOK_REPO_IDENTITY"] = identity }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RUNBOOK_REPO_IDENTITY")
        env.merge(secrets) { _, new in new }
        return try Roles.runbook(args, profile: try profile(cluster), state: work + "/state", secrets: env)
    }
}
