import Foundation
@testable import RunbookActions
import RunbookEngine
import XCTest

/// `kill -9` of `runbook run backup-database` (the real binary, PostgreSQL 15, a database whose
/// dump takes a moment) at random points: half the kills land anywhere in the run, half in the
/// moments right after pg_dump exited, when the artifact is read back, hashed and recorded.
/// After every kill, each file in the backup directory that looks complete (not `.partial`) is
/// in the manifest with a matching sha256; the next backup removes what the killed runs left
/// and records each removal in the audit trail.
final class PostgresKillDuringDumpTests: PostgresSuite {
    private var cli: RunbookCLI!
    /// About 45 s on an idle 2-core machine (each trial is one run of a ~3 s backup).
    static let trials = 8

    override func setUpWithError() throws {
        try super.setUpWithError()
        cli = try RunbookCLI(cluster: cluster, directory: cluster.root + "/kill-" + UUID().uuidString.prefix(8))
        // About 100 MB of SQL: pg_dump -Z takes a couple of seconds, and reading the .gz back takes a while too.
        try cluster.psql("shared_services_db", "CREATE TABLE IF NOT EXISTS public.kill_bulk AS SELECT g AS id, repeat(md5(g::text), 8) AS filler FROM generate_series(1, 350000) g")
    }

    override func tearDownWithError() throws {
        _ = try? cluster.psql("shared_services_db", "DROP TABLE IF EXISTS public.kill_bulk")
        try super.tearDownWithError()
    }

    private var params: [String: String] { ["database": "shared_services_db", "backup_dir": backups, "format": "gzip"] }

    /// Every file that looks complete is in the manifest with its sha256.
    private func assertNothingCompleteLooksUnrecorded(_ context: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let manifest = try ManifestStore(directory: backups).read()
        for name in directoryListing(backups) where !name.hasPrefix(".") && !name.hasSuffix(".partial")
            && name != DumpManifest.fileName && name != DumpManifest.fileName + ".tmp" {
            guard let record = manifest.record(named: name) else {
                XCTFail("\(context): \(name) looks complete but no manifest lists it", file: file, line: line)
                continue
            }
            XCTAssertEqual(try DumpDigest.sha256(of: backups + "/" + name), record.sha256, "\(context): \(name)", file: file, line: line)
        }
    }

    /// Waits until `runbook` has a pg_dump child and it is gone again (or the run ended).
    private func waitForDumpToExit(_ runbook: pid_t, deadline: Date) {
        var seen = false
        while Date() < deadline {
            let dumping = PostgresRunbookCLITests.childProcess(of: runbook, named: "pg_dump") != nil
            if dumping { seen = true } else if seen || !processExists(runbook) { return }
            usleep(1_000)
        }
    }

    /// Starts each run in a new second: the shipped runbook names artifacts to the second.
    private func startInANewSecond(after last: inout Int) throws -> ChildProcess {
        while Int(Date().timeIntervalSince1970) == last { usleep(20_000) }
        last = Int(Date().timeIntervalSince1970)
        return try cli.start("backup-database", params, log: cli.state + "-\(UUID().uuidString.prefix(6)).log")
    }

    func testKillNineAtRandomPointsNeverLeavesACompleteLookingDumpOutsideTheManifest() throws {
        var lastStart = 0
        let measured = Date()
        let whole = try startInANewSecond(after: &lastStart)
        XCTAssertEqual(try whole.wait(), 0, "an uninterrupted backup")
        let duration = Date().timeIntervalSince(measured)
        try assertNothingCompleteLooksUnrecorded("after an uninterrupted backup")

        var generator = SystemRandomNumberGenerator()
        var outcomes: [String] = []
        for trial in 0..<Self.trials {
            let child = try startInANewSecond(after: &lastStart)
            let afterDump = trial % 2 == 1
            let delay: Double
            if afterDump {
                waitForDumpToExit(child.pid, deadline: Date().addingTimeInterval(duration * 3))
                delay = Double.random(in: 0...0.4, using: &generator)
            } else {
                delay = Double.random(in: 0.1...(duration * 1.1), using: &generator)
            }
            usleep(useconds_t(delay * 1_000_000))
            kill(child.pid, SIGKILL)
            let status = try child.wait()
            outcomes.append("\(afterDump ? "after pg_dump exited" : "from the start") +\(String(format: "%.2f", delay))s: \(status == 128 + SIGKILL ? "killed" : "exit \(status)")")
            // What the killed run started (pg_dump, psql) ends with it: its pipes closed.
            for _ in 0..<200 where dumpsRunning() { usleep(10_000) }
            try assertNothingCompleteLooksUnrecorded("trial \(trial) (\(outcomes.last ?? ""))")
        }
        print("kill trials (uninterrupted backup: \(String(format: "%.2f", duration))s):\n  " + outcomes.joined(separator: "\n  "))

        let leftBehind = directoryListing(backups).filter { $0.hasSuffix(".partial") || $0.hasSuffix(OrphanSweep.claimSuffix) }
        let final = try cli.run("backup-database", params)
        XCTAssertEqual(final.status, 0, final.output)
        try assertNothingCompleteLooksUnrecorded("after the next backup")
        XCTAssertEqual(directoryListing(backups).filter { $0.hasSuffix(".partial") || $0.hasSuffix(OrphanSweep.claimSuffix) }, [],
                       "the next backup removed what the killed runs left")
        let removals = cli.auditLines.filter { $0.contains("\"event\":\"postgres.orphan-removed\"") }
        for name in leftBehind where name.hasSuffix(".partial") {
            XCTAssertTrue(removals.contains { $0.contains("/\(name)\"") }, "\(name) removed and audited: \(removals)")
        }
    }

    func testTheNextBackupRemovesACompleteLookingDumpNoManifestListsButSparesALiveRunsClaim() throws {
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        // A run killed between the rename and the record (its pid is gone) left a whole dump.
        try Data("-- a whole dump\n".utf8).write(to: URL(fileURLWithPath: backups + "/shared_services_db-20240101-000000.sql.gz"))
        try #"{"run_id":"20240101T000000Z-dead00","pid":999999}"#.write(toFile: backups + "/.shared_services_db-20240101-000000.sql.gz.inflight", atomically: true, encoding: .utf8)
        // A live run (this test process holds its lock) is writing another one right now.
        let locks = cli.state + "/locks"
        try FileManager.default.createDirectory(atPath: locks, withIntermediateDirectories: true)
        let start = try XCTUnwrap(ProcStat(pid: getpid())?.startTime)
        try #"{"runID":"20240101T000001Z-a11ve0","pid":\#(getpid()),"host":"\#(ProcessInfo.processInfo.hostName)","since":"2024-01-01T00:00:01Z","processStart":\#(start)}"#
            .write(toFile: locks + "/other.lock", atomically: true, encoding: .utf8)
        try Data("-- half".utf8).write(to: URL(fileURLWithPath: backups + "/user_service_db-20240101-000001.dump.partial"))
        try #"{"run_id":"20240101T000001Z-a11ve0","pid":\#(getpid())}"#.write(toFile: backups + "/.user_service_db-20240101-000001.dump.inflight", atomically: true, encoding: .utf8)

        let r = try cli.run("backup-database", params)
        XCTAssertEqual(r.status, 0, r.output)
        let listing = directoryListing(backups)
        XCTAssertFalse(listing.contains("shared_services_db-20240101-000000.sql.gz"), "\(listing)")
        XCTAssertFalse(listing.contains(".shared_services_db-20240101-000000.sql.gz.inflight"), "\(listing)")
        XCTAssertTrue(listing.contains("user_service_db-20240101-000001.dump.partial"), "the live run's file stays: \(listing)")
        let removal = try XCTUnwrap(cli.auditLines.first { $0.contains("\"event\":\"postgres.orphan-removed\"") })
        XCTAssertTrue(removal.contains("shared_services_db-20240101-000000.sql.gz\""), removal)
        XCTAssertTrue(removal.contains("run 20240101T000000Z-dead00, which is no longer running"), removal)
        XCTAssertTrue(r.output.contains("removed \(backups)/shared_services_db-20240101-000000.sql.gz"), r.output)
    }

    /// True while a pg_dump of this suite's cluster still runs (a killed run's dump ends when
    /// its output pipe closes; the check waits for that instead of racing it).
    func dumpsRunning() -> Bool {
        let port = String(cluster.port)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8),
                  comm.hasPrefix("pg_dump"), processExists(pid),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            if cmdline.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == port }) { return true }
        }
        return false
    }
}
