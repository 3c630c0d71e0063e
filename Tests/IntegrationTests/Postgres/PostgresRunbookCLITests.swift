import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// The shipped runbooks, run through the built `runbook` binary (`runbook run NAME`) with a
/// generated profile pointing at the suite's cluster over TCP, the password coming from
/// an environment variable through the profile's secret.
final class PostgresRunbookCLITests: PostgresSuite {
    var state = ""
    var profilePath = ""
    private static let passwordVariable = RunbookCLI.passwordVariable

    override func setUpWithError() throws {
        try super.setUpWithError()
        let cli = try RunbookCLI(cluster: cluster, directory: cluster.root + "/cli-" + UUID().uuidString.prefix(8))
        state = cli.state
        profilePath = cli.profilePath
    }

    struct CLIResult {
        var status: Int32
        var output: String
    }

    /// `runbook ARGS --profile P --state-dir S --yes` (for `run` and `resume`), output captured.
    private func runbook(_ args: [String], wait: Bool = true) throws -> (ChildProcess, String) {
        let log = state + "-" + UUID().uuidString.prefix(6) + ".log"
        var env = ProcessInfo.processInfo.environment
        env[Self.passwordVariable] = cluster.password
        env.removeValue(forKey: "PGPASSWORD")
        var argv = args + ["--state-dir", state, "--yes"]
        if args.first == "run" { argv += ["--profile", profilePath] }
        return (try Self.spawn(argv, environment: env, log: log), log)
    }

    /// The built binary with the repository's runbooks; stdout and stderr (diagnostics) both in `log`.
    static func spawn(_ args: [String], environment: [String: String], log: String) throws -> ChildProcess {
        try ChildProcess.spawn([try binary()] + args + ["--runbooks-dir", repository + "/runbooks"],
                               environment: environment, stdout: log, stderr: log)
    }

    func run(_ args: [String]) throws -> CLIResult {
        let (child, log) = try runbook(args)
        let status = try child.wait()
        return CLIResult(status: status, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// The `runbook` binary built next to this test bundle (`swift build --build-tests`).
    static func binary() throws -> String {
        let beside = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("runbook").path
        for candidate in [beside, repository + "/.build/debug/runbook"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw PostgresCluster.HarnessError(description: "the runbook binary is not built (swift build --build-tests)")
    }

    func manifest() throws -> DumpManifest { try ManifestStore(directory: backups).read() }

    // MARK: - Tests

    func testBackupRunbookDumpsEveryDatabaseInParallelWithGlobalsAndExactCounts() throws {
        let result = try run(["run", "backup", "--param", "databases=shared_services_db,user_service_db,payment_service_db",
                              "--param", "backup_dir=\(backups)", "--param", "media=false"])
        XCTAssertEqual(result.status, 0, result.output)
        let records = try manifest().artifacts
        XCTAssertEqual(Set(records.map(\.database)), ["shared_services_db", "user_service_db", "payment_service_db", "globals"])
        for record in records {
            XCTAssertEqual(try DumpDigest.sha256(of: backups + "/" + record.path), record.sha256, record.path)
            XCTAssertTrue(record.verified)
        }
        let shared = try XCTUnwrap(records.first { $0.database == "shared_services_db" })
        XCTAssertEqual(shared.rowCounts?["event_service.events"], Int64(try cluster.psql("shared_services_db", "SELECT count(*) FROM event_service.events")))
        // The password reached pg_dump through the environment only: never in the audit trail or output.
        let audit = try String(contentsOfFile: state + "/audit.jsonl", encoding: .utf8)
        XCTAssertFalse(audit.contains(cluster.password))
        XCTAssertFalse(result.output.contains(cluster.password))
        XCTAssertTrue(audit.contains("\"PGPASSWORD\""), "the audit names the variable")
    }

    func testBackupDatabaseThenRestoreDatabaseRoundTripsThroughTheCLI() throws {
        let source = try cluster.tableChecksums("user_service_db")
        let backup = try run(["run", "backup-database", "--param", "database=user_service_db", "--param", "backup_dir=\(backups)"])
        XCTAssertEqual(backup.status, 0, backup.output)
        try cluster.psql("user_service_db", "DELETE FROM user_service.users WHERE created_at > '2023-06-20'; UPDATE user_service.users SET email = upper(email)")
        XCTAssertNotEqual(try cluster.tableChecksums("user_service_db"), source)

        let restore = try run(["run", "restore-database", "--param", "database=user_service_db", "--param", "backup_dir=\(backups)"])
        XCTAssertEqual(restore.status, 0, restore.output)
        XCTAssertEqual(try cluster.tableChecksums("user_service_db"), source)
    }

    func testVerifyBackupRecordsTheRestoreTimeInTheManifestAndTheAuditTrailAndDropsTheScratchDatabase() throws {
        let backup = try run(["run", "backup-database", "--param", "database=payment_service_db", "--param", "backup_dir=\(backups)"])
        XCTAssertEqual(backup.status, 0, backup.output)
        let verify = try run(["run", "verify-backup", "--param", "database=payment_service_db", "--param", "backup_dir=\(backups)",
                              "--param", "scratch_database=verify_scratch"])
        XCTAssertEqual(verify.status, 0, verify.output)
        let record = try XCTUnwrap(try manifest().artifacts.first { $0.database == "payment_service_db" })
        XCTAssertEqual(record.restoreTests.count, 1)
        let test = try XCTUnwrap(record.restoreTests.first)
        XCTAssertTrue(test.passed)
        XCTAssertGreaterThan(test.restoreSeconds ?? 0, 0)
        let audit = try String(contentsOfFile: state + "/audit.jsonl", encoding: .utf8)
        let event = try XCTUnwrap(audit.split(separator: "\n").first { $0.contains("\"event\":\"postgres.restore-test\"") })
        XCTAssertTrue(event.contains("\"restore_seconds\":\"\(PostgresExecution.seconds(test.restoreSeconds ?? -1))\""), String(event))
        XCTAssertFalse(try cluster.databaseExists("verify_scratch"))
    }

    func testVerifyBackupFailsWhenTheBackupNoLongerMatchesItsManifest() throws {
        let backup = try run(["run", "backup-database", "--param", "database=user_service_db", "--param", "backup_dir=\(backups)"])
        XCTAssertEqual(backup.status, 0, backup.output)
        // The artifact is intact but the manifest claims other counts: the comparison must catch it.
        try ManifestStore(directory: backups).update { m in m.artifacts[0].rowCounts?["user_service.users"] = 1999 }
        let verify = try run(["run", "verify-backup", "--param", "database=user_service_db", "--param", "backup_dir=\(backups)",
                              "--param", "scratch_database=verify_mismatch"])
        XCTAssertEqual(verify.status, 2, verify.output)
        XCTAssertTrue(verify.output.contains("user_service.users: rows 2000, expected 1999"), verify.output)
        XCTAssertFalse(try cluster.databaseExists("verify_mismatch"), "the rollback dropped the scratch database")
        XCTAssertEqual(try manifest().artifacts[0].restoreTests.count, 0)
    }

    func testARunInterruptedDuringADumpLeavesNoArtifactAndResumeFinishesIt() throws {
        // A table big enough that pg_dump is caught writing; it is frozen there (SIGSTOP)
        // so the interruption lands mid-stream every time.
        try cluster.psql("shared_services_db", "CREATE TABLE IF NOT EXISTS public.bulk AS SELECT g AS id, repeat(md5(g::text), 8) AS filler FROM generate_series(1, 300000) g")
        defer { _ = try? cluster.psql("shared_services_db", "DROP TABLE IF EXISTS public.bulk") }
        let (child, log) = try runbook(["run", "backup-database", "--param", "database=shared_services_db", "--param", "backup_dir=\(backups)",
                                        "--param", "format=plain"])
        var dumper: pid_t?
        var partial: String?
        let deadline = Date().addingTimeInterval(60)
        while dumper == nil && Date() < deadline {
            if let name = directoryListing(backups).first(where: { $0.hasSuffix(".partial") }),
               (try? DurableFiles.size(backups + "/" + name)) ?? 0 > 0,
               let pid = Self.childProcess(of: child.pid, named: "pg_dump") {
                kill(pid, SIGSTOP)
                dumper = pid
                partial = name
            } else {
                usleep(2_000)
            }
        }
        let frozen = try XCTUnwrap(dumper, "pg_dump was never caught writing: " + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
        XCTAssertGreaterThan(try DurableFiles.size(backups + "/" + (partial ?? "")), 0, "interrupted mid-stream")
        kill(child.pid, SIGINT)
        let status = try child.wait()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(status, 4, output)
        var alive = processExists(frozen)
        for _ in 0..<100 where alive {
            usleep(20_000)
            alive = processExists(frozen)
        }
        XCTAssertFalse(alive, "pg_dump was torn down")
        XCTAssertEqual(directoryListing(backups).filter { $0.hasSuffix(".sql") || $0.hasSuffix(".partial") }, [], "no artifact left")
        XCTAssertEqual(try manifest().artifacts.count, 0)

        let runID = try XCTUnwrap(directoryListing(state + "/runs").first)
        let resumed = try run(["resume", runID])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        let records = try manifest().artifacts
        XCTAssertEqual(records.count, 1)
        XCTAssertEqual(records.first?.runID, runID)
        XCTAssertEqual(records.first?.rowCounts?["public.bulk"], 300_000)
        let path = backups + "/" + (records.first?.path ?? "")
        XCTAssertEqual(try DumpDigest.sha256(of: path), records.first?.sha256)
        XCTAssertEqual(directoryListing(backups).filter { $0.hasSuffix(".partial") }, [])
    }

    /// The pid of a direct child of `parent` whose command name is `name`.
    static func childProcess(of parent: pid_t, named name: String) -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let comm = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            if comm == name, fields.count > 1, pid_t(fields[1]) == parent { return pid }
        }
        return nil
    }
}

/// True while a process exists and is not a zombie.
func processExists(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
}
