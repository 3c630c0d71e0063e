import Foundation
@testable import RunbookActions
import XCTest

/// `runbook info` and the metrics file on the offsite repository, against real parts, set up
/// once for the suite: PostgreSQL 15 (the suite's throwaway cluster), `rclone serve s3` as the
/// repository with its own credentials, a key from the real `age-keygen`, a real
/// `runbook run backup --param offsite=true` (no local copy) and a real
/// `verify-backup --param source=repository` (the only run given the identity), plus a WAL
/// segment and media objects pushed through the repository's own code (WALArchive, RepositoryStore).
/// `info` itself never gets the identity: the environment has none.
final class OffsiteInfoTests: PostgresSuite {
    struct Setup {
        var server: S3Server
        var cli: RunbookCLI
        var work: String
        var bucket: String
        var textfileDir: String
        var dumps: String
        var entries: [String: RepositoryManifest.Entry]
    }

    nonisolated(unsafe) private static var shared: Setup?
    nonisolated(unsafe) private static var sharedError: String?
    var setup: Setup!

    static let database = "user_service_db"
    static let walSegment = "000000010000000000000003"

    override class func tearDown() {
        shared?.server.stop()
        shared = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let error = Self.sharedError { throw PostgresCluster.HarnessError(description: "suite setup failed: \(error)") }
        if Self.shared == nil {
            do {
                Self.shared = try makeSetup()
            } catch {
                Self.sharedError = "\(error)"
                throw error
            }
        }
        setup = Self.shared
    }

    func makeSetup() throws -> Setup {
        let server = try S3Server.start(.rclone)
        let work = cluster.root + "/offsite-info"
        let cli = try RunbookCLI(cluster: cluster, directory: work)
        let recipient = try AgeCLI.keygen(work + "/key.txt")
        let bucket = "info-\(UUID().uuidString.prefix(8).lowercased())"
        let textfileDir = work + "/textfile"
        try FileManager.default.createDirectory(atPath: textfileDir, withIntermediateDirectories: true)
        try Self.profile(endpoint: server.endpoint, bucket: bucket, recipient: recipient.description, cluster: cluster,
                         metrics: textfileDir + "/runbook.prom").write(toFile: cli.profilePath, atomically: true, encoding: .utf8)
        let config = RepositoryConfig(endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey,
                                      bucket: bucket, prefix: "test/", recipients: [recipient.description])
        let dumps = work + "/dumps"
        let segment = work + "/" + Self.walSegment
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: segment))
        _ = try Self.blocking {
            let raw = S3Client(connection: try config.connection())
            defer { Task { await raw.shutdown() } }
            return try await raw.createBucket(bucket)
        }
        var env = cli.environment
        env["TEST_REPO_ACCESS_KEY"] = server.accessKey
        env["TEST_REPO_SECRET_KEY"] = server.secretKey
        env.removeValue(forKey: "RUNBOOK_REPO_IDENTITY")
        let backup = try Self.run(cli.argv(run: "backup", ["databases": Self.database, "backup_dir": dumps, "media": "false",
                                                           "offsite": "true", "keep_local": "false"]), env)
        guard backup.status == 0 else { throw PostgresCluster.HarnessError(description: "backup failed:\n\(backup.text)") }
        // The media mirror and the WAL archive, through the repository's own code.
        let pushed = try Self.blocking {
            let archive = try WALArchive(config: config)
            _ = try await archive.push(path: segment)
            await archive.shutdown()
            return try await RepositoryStore.using(config) { store in
                for i in 0..<3 {
                    try await store.pushData(name: MediaIndex.newObjectID(), data: Data(repeating: UInt8(i), count: 1000 * (i + 1)))
                }
                try await store.pushData(name: MediaIndex.newIndexName(), data: Data("{}".utf8))
                // A base backup needing the segment above, its one file pushed as pitr.base-backup pushes it.
                let record = Self.baseBackupRecord()
                try await store.pushData(name: BaseBackupOffsite.entryName(id: record.id, file: "base.tar.gz"),
                                         data: Data(repeating: 9, count: 2048), metadata: try BaseBackupOffsite.metadata(record))
                return try await store.entries(namespace: "dumps")
            }
        }
        // A restore test of the offsite copy: the only run that gets the identity.
        var restoring = env
        restoring["RUNBOOK_REPO_IDENTITY"] = try String(contentsOfFile: work + "/key.txt", encoding: .utf8)
        let verify = try Self.run(cli.argv(run: "verify-backup", ["database": Self.database, "backup_dir": dumps, "source": "repository",
                                                                  "scratch_database": "offsite_info_scratch"]), restoring)
        guard verify.status == 0 else { throw PostgresCluster.HarnessError(description: "verify-backup failed:\n\(verify.text)") }
        let after = try Self.blocking { try await RepositoryStore.using(config) { try await $0.entries(namespace: "dumps") } }
        XCTAssertEqual(Set(after.keys), Set(pushed.keys))
        return Setup(server: server, cli: cli, work: work, bucket: bucket, textfileDir: textfileDir, dumps: dumps, entries: after)
    }

    static let baseBackupID = "base-20251204-010000"

    /// A streamed base backup's record whose WAL starts and becomes consistent in `walSegment`.
    static func baseBackupRecord() -> BaseBackupRecord {
        let stop = "2025-12-04T01:00:00.000000Z"
        return BaseBackupRecord(id: baseBackupID, label: baseBackupID, format: "tar", compression: "gzip", files: ["base.tar.gz"],
                                walMethod: "fetch", timeline: 1, startLSN: "0/3000028", stopLSN: "0/3000138", startWALFile: walSegment,
                                startTime: stop, stopTime: stop, walSegmentSize: WALSegment.defaultSize, systemIdentifier: "7312",
                                serverVersionNum: 150000, bytes: 2048, manifestChecksum: nil, verification: "test", runID: "r")
    }

    static func profile(endpoint: String, bucket: String, recipient: String, cluster: PostgresCluster, metrics: String) -> String {
        """
        profile: local-test
        secrets:
          pg_password: {env: \(RunbookCLI.passwordVariable)}
          repo_access_key: {env: TEST_REPO_ACCESS_KEY}
          repo_secret_key: {env: TEST_REPO_SECRET_KEY}
          repo_identity: {env: RUNBOOK_REPO_IDENTITY, file: /nonexistent/repo_identity.txt}
        targets:
          db:
            postgres: {via: local, host: 127.0.0.1, port: \(cluster.port), user: aqstream, password: "${secrets.pg_password}"}
          offsite:
            repository:
              endpoint: \(endpoint)
              bucket: \(bucket)
              prefix: test/
              access_key: "${secrets.repo_access_key}"
              secret_key: "${secrets.repo_secret_key}"
              recipients: [\(recipient)]
          metrics:
            metrics: {textfile: \(metrics)}

        """
    }

    /// Runs async repository calls from the synchronous suite setup (a test thread, not the
    /// cooperative pool, so waiting here blocks nothing the task needs).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    static func run(_ argv: [String], _ env: [String: String]) throws -> (status: Int32, text: String) {
        let out = try OpsTools.run(argv, environment: env)
        return (out.status, out.stdout + out.stderr)
    }

    var environment: [String: String] {
        var env = setup.cli.environment
        env["TEST_REPO_ACCESS_KEY"] = setup.server.accessKey
        env["TEST_REPO_SECRET_KEY"] = setup.server.secretKey
        env.removeValue(forKey: "RUNBOOK_REPO_IDENTITY")
        return env
    }

    func info(_ extra: [String] = [], profile: String? = nil, environment: [String: String]? = nil) throws -> OpsTools.Output {
        try OpsTools.run([PITRRunbookCLI.path, "info", "--profile", profile ?? setup.cli.profilePath, "--state-dir", setup.cli.state,
                          "--wal-archive", setup.work + "/no-wal-archive", "--base-backup-dir", setup.work + "/no-base"] + extra,
                         environment: environment ?? self.environment)
    }

    func masked(_ text: String) -> String {
        let s = text.replacingOccurrences(of: setup.server.endpoint, with: "<ENDPOINT>")
            .replacingOccurrences(of: setup.bucket, with: "<BUCKET>")
            .replacingOccurrences(of: setup.work, with: "<ROOT>")
        return OpsRealBackupsTests.masked(s)
    }

    func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = OpsRealBackupsTests.goldenDir + "/" + name
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<no \(name)>"
        XCTAssertEqual(actual, expected, "differs from Tests/Fixtures/ops/\(name) (UPDATE_GOLDEN=1 to re-record, then review)", file: file, line: line)
    }

    /// A copy of the profile with its repository's endpoint replaced.
    func profile(endpoint: String) throws -> String {
        let path = setup.work + "/profile-\(UUID().uuidString.prefix(6)).yaml"
        let text = try String(contentsOfFile: setup.cli.profilePath, encoding: .utf8)
            .replacingOccurrences(of: "endpoint: \(setup.server.endpoint)", with: "endpoint: \(endpoint)")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var newestEntry: (name: String, entry: RepositoryManifest.Entry, record: DumpRecord) {
        get throws {
            let catalog = DumpCatalog(namespace: "dumps", location: "", entries: setup.entries)
            let item = try XCTUnwrap(catalog.items.filter { $0.record.database == Self.database }.max { $0.record.finishedAt < $1.record.finishedAt })
            return (item.name, item.entry, item.record)
        }
    }

    // MARK: - info

    func testInfoTextShowsTheRepositoryAndMatchesTheGolden() throws {
        let out = try info()
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        OpsRealBackupsTests.show("runbook info (offsite)", out.stdout)
        try assertGolden(masked(out.stdout), "info-offsite.txt")
    }

    func testInfoJSONMatchesTheGoldenAndTheRepositorysRecords() throws {
        let out = try info(["--format", "json"])
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        try assertGolden(masked(out.stdout), "info-offsite.json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let offsite = try XCTUnwrap(json["offsite"] as? [String: Any])
        XCTAssertEqual(offsite["readable"] as? Bool, true)
        let (name, entry, record) = try newestEntry
        let db = try XCTUnwrap((offsite["databases"] as? [[String: Any]])?.first { $0["database"] as? String == Self.database })
        let newest = try XCTUnwrap(db["newest"] as? [String: Any])
        XCTAssertEqual("dumps/" + (newest["path"] as? String ?? ""), name)
        XCTAssertEqual((newest["size_bytes"] as? NSNumber)?.int64Value, entry.plaintextSize)
        let test = try XCTUnwrap(db["last_restore_test"] as? [String: Any], "verify-backup from the repository recorded its test on the entry")
        XCTAssertEqual(test["passed"] as? Bool, true)
        XCTAssertEqual((test["restore_seconds"] as? NSNumber)?.doubleValue, record.restoreTests.last?.restoreSeconds)
        let media = try XCTUnwrap(offsite["media"] as? [String: Any])
        XCTAssertEqual(media["objects"] as? Int, 3)
        XCTAssertEqual((media["total_bytes"] as? NSNumber)?.int64Value, 6000)
        let wal = try XCTUnwrap(offsite["wal"] as? [String: Any])
        XCTAssertEqual(wal["last_segment"] as? String, Self.walSegment)
        XCTAssertNotNil(wal["last_archived_at"] as? String, "HeadObject's Last-Modified")
        let base = try XCTUnwrap(offsite["base_backups"] as? [String: Any])
        XCTAssertEqual(base["complete"] as? Int, 1)
        XCTAssertEqual(base["recoverable"] as? Int, 1)
        let newestBase = try XCTUnwrap(base["newest"] as? [String: Any])
        XCTAssertEqual(newestBase["id"] as? String, Self.baseBackupID)
        XCTAssertEqual(newestBase["size_bytes"] as? Int, 2048)
        XCTAssertEqual(newestBase["covered_through"] as? String, Self.walSegment)
        XCTAssertEqual(newestBase["usable"] as? Bool, true)
        XCTAssertEqual(base["newest_covers_newest_segment"] as? Bool, true)
    }

    func testMaxOffsiteAgeHoldsOrExits6NamingTheDatabase() throws {
        let fine = try info(["--max-offsite-age", "1h"])
        XCTAssertEqual(fine.status, 0, fine.stdout + fine.stderr)
        XCTAssertTrue(fine.stdout.hasSuffix("thresholds: ok\n"), fine.stdout)
        let stale = try info(["--max-offsite-age", "1ms"])
        XCTAssertEqual(stale.status, 6, stale.stdout + stale.stderr)
        let broken = (stale.stdout.components(separatedBy: "thresholds BROKEN:\n").last ?? "").split(separator: "\n").map {
            $0.replacingOccurrences(of: #"is \d+[dhms]( \d+[hms])? old"#, with: "is <AGE> old", options: .regularExpression)
        }
        XCTAssertEqual(broken, ["  offsite \(Self.database): newest backup is <AGE> old (max-offsite-age 0s)",
                                "  offsite roles: newest dump is <AGE> old (max-offsite-age 0s)"])
    }

    func testAnUnreachableRepositoryIsAProblemNamingTheEndpointAndBreaksMaxOffsiteAge() throws {
        let port = try PostgresCluster.freePort()
        let endpoint = "http://127.0.0.1:\(port)"
        let profile = try profile(endpoint: endpoint)
        let plain = try info(profile: profile)
        XCTAssertEqual(plain.status, 0, "no threshold given: a problem, not a failure\n" + plain.stdout + plain.stderr)
        XCTAssertEqual(plain.stderr, "")
        let problem = "cannot reach S3 endpoint \(endpoint): connection refused"
        XCTAssertTrue(plain.stdout.contains("offsite repository (offsite: s3://\(setup.bucket)/test/ at \(endpoint))\n  NOT READABLE: \(problem)\n"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("problems\n  offsite repository s3://\(setup.bucket)/test/ at \(endpoint): \(problem)\n"), plain.stdout)
        let checked = try info(["--max-offsite-age", "26h"], profile: profile)
        XCTAssertEqual(checked.status, 6, checked.stdout + checked.stderr)
        XCTAssertTrue(checked.stdout.hasSuffix("thresholds BROKEN:\n  offsite: repository s3://\(setup.bucket)/test/ at \(endpoint) cannot be read\n"), checked.stdout)
    }

    func testWrongCredentialsAreAProblemAndTheSecretIsNeverPrinted() throws {
        var env = environment
        let wrong = "wrong-secret-\(UUID().uuidString)"
        env["TEST_REPO_SECRET_KEY"] = wrong
        for format in ["text", "json"] {
            let out = try info(["--format", format], environment: env)
            XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
            XCTAssertFalse((out.stdout + out.stderr).contains(wrong), "the secret key was printed")
            XCTAssertFalse((out.stdout + out.stderr).contains(setup.server.secretKey))
            XCTAssertTrue(out.stdout.contains("S3 rejected the credentials for endpoint \(setup.server.endpoint): SignatureDoesNotMatch"), out.stdout)
        }
        env.removeValue(forKey: "TEST_REPO_ACCESS_KEY")
        let missing = try info(environment: env)
        XCTAssertEqual(missing.status, 0, missing.stdout + missing.stderr)
        XCTAssertTrue(missing.stdout.contains("  NOT READABLE: secret \"repo_access_key\": environment variable TEST_REPO_ACCESS_KEY is not set\n"), missing.stdout)
    }

    // MARK: - Metrics

    func metricsText() throws -> String { try String(contentsOfFile: setup.textfileDir + "/runbook.prom", encoding: .utf8) }

    func testTheMetricsFileHasTheOffsiteSeriesPassesPromtoolAndNodeExporterServesThem() throws {
        let promtool = try OpsTools.require("promtool", package: "prometheus")
        let check = try OpsTools.run([promtool, "check", "metrics"], stdin: setup.textfileDir + "/runbook.prom")
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertEqual(check.stdout + check.stderr, "", "promtool's linter has remarks")
        let text = try metricsText()
        OpsRealBackupsTests.show("metrics file (offsite)", text)
        let (_, entry, record) = try newestEntry
        let label = "database=\"\(Self.database)\""
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_repository_configured"), 1)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_up"), 1)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_backup_timestamp_seconds", label) ?? 0,
                       record.finishedAt.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_backup_size_bytes", label), Double(entry.plaintextSize))
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_verified", label), 1)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_media_objects"), 3)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_wal_segments"), 1)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_base_backups", "usable=\"true\""), 1)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_base_backups_incomplete"), 0)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_base_backup_size_bytes"), 2048)
        XCTAssertEqual(OpsRealBackupsTests.sample(text, "runbook_offsite_base_backup_timestamp_seconds"), 1_764_810_000)

        let exporter = try NodeExporter(textfileDirectory: setup.textfileDir)
        defer { exporter.stop() }
        let scraped = try exporter.scrape()
        XCTAssertEqual(OpsRealBackupsTests.sample(scraped, "node_textfile_scrape_error"), 0, scraped)
        XCTAssertEqual(OpsRealBackupsTests.sample(scraped, "runbook_offsite_backup_timestamp_seconds", label),
                       OpsRealBackupsTests.sample(text, "runbook_offsite_backup_timestamp_seconds", label))
        XCTAssertEqual(OpsRealBackupsTests.sample(scraped, "runbook_offsite_up"), 1)
    }
}

/// Hands a task's result to the thread waiting for it (the semaphore orders the accesses).
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
