import Foundation
import XCTest
@testable import RunbookActions

/// `runbook info`, the metrics file and the shipped runbooks' notification, against real
/// backups of a real PostgreSQL 15 cluster, all taken once for the suite through the built
/// binary: WAL archiving (`wal-archiving-setup`), a base backup (`base-backup`), dumps of a
/// database and the roles (`backup`), a restore test (`verify-backup`). The profile has a
/// `metrics` target, so every run rewrote the textfile that node-exporter then serves.
final class OpsRealBackupsTests: XCTestCase {
    nonisolated(unsafe) static var cluster: PITRCluster?
    nonisolated(unsafe) static var setupError: String?
    nonisolated(unsafe) static var profile = ""

    static let goldenDir = PITRRunbookCLI.repoRoot + "/Tests/Fixtures/ops"
    static var dumps: String { (cluster?.root ?? "") + "/dumps" }
    static var textfileDir: String { (cluster?.root ?? "") + "/textfile" }
    static var metricsFile: String { textfileDir + "/runbook.prom" }

    override class func setUp() {
        super.setUp()
        do {
            let c = try PITRCluster()
            cluster = c
            try FileManager.default.createDirectory(atPath: textfileDir, withIntermediateDirectories: true)
            profile = try c.writeProfile()
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: profile))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("  metrics:\n    metrics:\n      textfile: \(metricsFile)\n".utf8))
            try handle.close()
            try c.psql("CREATE DATABASE app_db")
            try c.psql("CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 500) g", database: "app_db")
            try mustRun("wal-archiving-setup", ["archive_dir": c.archiveDir, "archive_timeout": "5s"])
            try mustRun("base-backup", ["archive_dir": c.archiveDir, "backup_dir": c.backupDir])
            try mustRun("backup", ["databases": "app_db", "backup_dir": dumps, "media": "false"])
            try mustRun("verify-backup", ["database": "app_db", "backup_dir": dumps, "scratch_database": "app_scratch"])
        } catch {
            setupError = "\(error)"
        }
    }

    override class func tearDown() {
        cluster?.shutdown()
        cluster = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let e = Self.setupError { throw PITRCluster.HarnessError(description: "suite setup failed: \(e)") }
    }

    static func mustRun(_ runbook: String, _ params: [String: String]) throws {
        guard let cluster else { return }
        let out = try PITRRunbookCLI.run(runbook, cluster: cluster, profile: profile, params: params)
        guard out.status == 0 else { throw PITRCluster.HarnessError(description: "runbook \(runbook) failed (\(out.status)):\n\(out.text)") }
    }

    func info(_ extra: [String] = []) throws -> OpsTools.Output {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        return try OpsTools.run([PITRRunbookCLI.path, "info", "--profile", Self.profile, "--state-dir", try XCTUnwrap(Self.cluster).stateDir] + extra,
                                environment: env)
    }

    /// What varies between runs: times, ages, sizes, durations, run ids, WAL names, the temporary root.
    static func masked(_ text: String) -> String {
        var s = text.replacingOccurrences(of: cluster?.root ?? "<none>", with: "<ROOT>")
        let rules: [(String, String)] = [
            (#"\d{8}T\d{6}Z-[0-9a-f]{6}"#, "<RUN>"),
            (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, "<TIME>"),
            (#"\d{8}-\d{6}"#, "<STAMP>"),
            (#"\d{8}T\d{6}Z?"#, "<STAMP>"),
            (#"[0-9A-F]{24}"#, "<SEGMENT>"),
            (#"\(\d+[dhms]( \d+[hms])? ago\)"#, "(<AGE> ago)"),
            (#"\d+(\.\d)? (B|KiB|MiB|GiB)\b"#, "<SIZE>"),
            (#"\b\d+\.\ds\b"#, "<S>s"),
            (#"\d+ segments"#, "<N> segments"),
            (#""(age_seconds|newest_age_seconds|size_bytes|duration_seconds|restore_seconds|lag_seconds|segments|total_bytes|rto_seconds)" : [0-9.]+"#, "\"$1\" : <N>"),
        ]
        for (pattern, replacement) in rules {
            s = s.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return s
    }

    /// With RUNBOOK_OPS_SHOW=1, the unmasked text on stdout: what an operator saw, for reports.
    static func show(_ title: String, _ text: String) {
        guard ProcessInfo.processInfo.environment["RUNBOOK_OPS_SHOW"] == "1" else { return }
        print("----- \(title) -----\n\(text)")
    }

    func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = Self.goldenDir + "/" + name
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.goldenDir, withIntermediateDirectories: true)
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<no \(name)>"
        XCTAssertEqual(actual, expected, "differs from Tests/Fixtures/ops/\(name) (UPDATE_GOLDEN=1 to re-record, then review)", file: file, line: line)
    }

    // MARK: - info

    func testInfoTextMatchesTheGoldenWithTimesAndSizesMasked() throws {
        let out = try info()
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        Self.show("runbook info", out.stdout)
        try assertGolden(Self.masked(out.stdout), "info.txt")
    }

    func testInfoJSONMatchesTheGoldenAndTheManifestAndTheCatalog() throws {
        let out = try info(["--format", "json"])
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        try assertGolden(Self.masked(out.stdout), "info.json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let record = try XCTUnwrap(try ManifestStore(directory: Self.dumps).read().latestVerified(database: "app_db"))
        let db = try XCTUnwrap((json["databases"] as? [[String: Any]])?.first)
        let newest = try XCTUnwrap(db["newest"] as? [String: Any])
        XCTAssertEqual(newest["path"] as? String, record.path)
        XCTAssertEqual((newest["size_bytes"] as? NSNumber)?.int64Value, record.size)
        let test = try XCTUnwrap(db["last_restore_test"] as? [String: Any])
        XCTAssertEqual((test["restore_seconds"] as? NSNumber)?.doubleValue, record.restoreTests.last?.restoreSeconds)
        let catalog = try BaseBackupCatalog.decode(Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(Self.cluster).backupDir + "/catalog.json")))
        let bases = try XCTUnwrap((json["wal_archive"] as? [String: Any])?["base_backups"] as? [[String: Any]])
        XCTAssertEqual(bases.compactMap { $0["id"] as? String }, catalog.backups.map(\.id))
        XCTAssertEqual(bases.first?["usable"] as? Bool, true)
    }

    func testThresholdsHoldOrExit6NamingWhatIsBroken() throws {
        let fine = try info(["--max-age", "26h", "--max-restore-test-age", "35d", "--max-wal-lag", "1h"])
        XCTAssertEqual(fine.status, 0, fine.stdout + fine.stderr)
        XCTAssertTrue(fine.stdout.hasSuffix("thresholds: ok\n"), fine.stdout)

        let stale = try info(["--max-age", "1ms"])
        XCTAssertEqual(stale.status, 6, stale.stdout + stale.stderr)
        let broken = stale.stdout.components(separatedBy: "thresholds BROKEN:\n").last ?? ""
        let shapes = broken.split(separator: "\n").map {
            $0.replacingOccurrences(of: #"is \d+[dhms]( \d+[hms])? old"#, with: "is <AGE> old", options: .regularExpression)
        }
        XCTAssertEqual(shapes, ["  app_db: newest backup is <AGE> old (max-age 0s)", "  roles: newest dump is <AGE> old (max-age 0s)"])

        let json = try info(["--max-age", "1ms", "--format", "json"])
        XCTAssertEqual(json.status, 6)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["ok"] as? Bool, false)
        XCTAssertEqual((object["breaches"] as? [String])?.count, 2)
    }

    // MARK: - Metrics

    func metricsText() throws -> String { try String(contentsOfFile: Self.metricsFile, encoding: .utf8) }

    /// The value of the first sample of `name` whose labels contain `labels`.
    static func sample(_ text: String, _ name: String, _ labels: String = "") -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            guard labels.isEmpty || line.contains(labels), let value = line.split(separator: " ").last else { continue }
            return Double(value)
        }
        return nil
    }

    func testTheMetricsFileWrittenAfterTheRunsPassesPromtoolAndMatchesTheManifest() throws {
        let promtool = try OpsTools.require("promtool", package: "prometheus")
        let out = try OpsTools.run([promtool, "check", "metrics"], stdin: Self.metricsFile)
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        XCTAssertEqual(out.stdout + out.stderr, "", "promtool's linter has remarks")
        let text = try metricsText()
        Self.show("metrics file", text)
        let record = try XCTUnwrap(try ManifestStore(directory: Self.dumps).read().latestVerified(database: "app_db"))
        XCTAssertEqual(Self.sample(text, "runbook_backup_newest_timestamp_seconds", "database=\"app_db\"") ?? 0,
                       record.finishedAt.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(Self.sample(text, "runbook_backup_newest_size_bytes", "database=\"app_db\""), Double(record.size))
        XCTAssertEqual(Self.sample(text, "runbook_last_run_success", "runbook=\"verify-backup\""), 1)
        XCTAssertEqual(Self.sample(text, "runbook_last_run_success", "runbook=\"backup\""), 1)
        XCTAssertNotNil(Self.sample(text, "runbook_backup_last_restore_test_timestamp_seconds", "database=\"app_db\""))
        XCTAssertNotNil(Self.sample(text, "runbook_wal_archive_last_segment_timestamp_seconds"))
        XCTAssertEqual(Self.sample(text, "runbook_wal_archive_gaps"), 0)
        XCTAssertEqual(Self.sample(text, "runbook_base_backups", "usable=\"true\""), 1)
        XCTAssertEqual(Self.sample(text, "runbook_offsite_repository_configured"), 0)
        // Written by rename: no temporary file is left beside it for node-exporter to trip over.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: Self.textfileDir), ["runbook.prom"])
    }

    func testNodeExporterServesTheMetricsFileOverHTTP() throws {
        let exporter = try NodeExporter(textfileDirectory: Self.textfileDir)
        defer { exporter.stop() }
        let scraped = try exporter.scrape()
        let file = try metricsText()
        XCTAssertEqual(Self.sample(scraped, "node_textfile_scrape_error"), 0, scraped)
        let expected = Self.sample(file, "runbook_backup_newest_timestamp_seconds", "database=\"app_db\"")
        XCTAssertNotNil(expected)
        // node-exporter prints floats its own way (e.g. 1.7e+09): compare numbers, not text.
        XCTAssertEqual(Self.sample(scraped, "runbook_backup_newest_timestamp_seconds", "database=\"app_db\""), expected)
        XCTAssertEqual(Self.sample(scraped, "runbook_last_run_success", "runbook=\"backup\""), 1)
        XCTAssertTrue(scraped.contains("# TYPE runbook_wal_archive_last_segment_timestamp_seconds gauge"), scraped)
    }

    // MARK: - Notification from the shipped backup runbook

    func testAFailedShippedBackupNotifiesTheProfilesWebhookAndExitsWithItsOwnFailure() throws {
        let cluster = try XCTUnwrap(Self.cluster)
        let server = try RecordingWebhookServer(mode: .ok)
        defer { server.stop() }
        let profile = cluster.root + "/notify-profile.yaml"
        var text = try String(contentsOfFile: try cluster.writeProfile(), encoding: .utf8)
        text = text.replacingOccurrences(of: "profile: pitr-test", with: "profile: notify-test")
        text += "  notify:\n    notification: {url: \"http://127.0.0.1:\(server.port)/alerts\", shape: alertmanager, timeout: 5, attempts: 2}\n"
        try text.write(toFile: profile, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        let out = try OpsTools.run([PITRRunbookCLI.path, "run", "backup", "--profile", profile, "--state-dir", cluster.root + "/notify-state",
                                    "--runbooks-dir", PITRRunbookCLI.repoRoot + "/runbooks", "--yes",
                                    "--param", "databases=no_such_db", "--param", "backup_dir=\(cluster.root)/notify-dumps", "--param", "media=false"],
                                   environment: env)
        XCTAssertEqual(out.status, 2, out.stdout + out.stderr)
        XCTAssertTrue(out.stdout.contains("no_such_db"), out.stdout)
        XCTAssertEqual(server.requests.count, 1)
        let body = try XCTUnwrap(server.requests.first).json()
        let labels = try XCTUnwrap((body["commonLabels"] as? [String: String]))
        XCTAssertEqual(labels["runbook"], "backup")
        XCTAssertEqual(labels["profile"], "notify-test")
    }
}
