import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// Backups of a database that is being written to, as production's are: the manifest's row
/// counts must describe exactly what the dump holds, or verification fails a good backup.
final class PostgresLiveDumpTests: PostgresSuite {
    func testRowCountsOfADatabaseBeingWrittenToAreThoseOfTheDump() async throws {
        try cluster.psql("user_service_db", "CREATE TABLE public.live_writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        let script = cluster.root + "/live-writes.sql"
        try "INSERT INTO public.live_writes DEFAULT VALUES;\n".write(toFile: script, atomically: true, encoding: .utf8)
        // Two clients committing one row per transaction for as long as the test runs.
        let writer = try ChildProcess.spawn(["pgbench", "-n", "-c", "2", "-T", "120", "-f", script, "user_service_db"],
                                            environment: cluster.clientEnvironment, stdout: cluster.root + "/pgbench.log",
                                            stderr: cluster.root + "/pgbench.log")
        defer { writer.terminate() }
        var rows = 0
        for _ in 0..<200 where rows < 500 {
            usleep(25_000)
            rows = Int(try cluster.psql("user_service_db", "SELECT count(*) FROM public.live_writes")) ?? 0
        }
        XCTAssertGreaterThanOrEqual(rows, 500, "the writer is not writing: \((try? String(contentsOfFile: cluster.root + "/pgbench.log", encoding: .utf8)) ?? "")")

        for round in 1...3 {
            let dump = try await harness.run(Dump(), ["target": "db", "database": "user_service_db", "dir": .string(backups),
                                                      "name": .string("live-\(round)")])
            XCTAssertTrue(dump.succeeded, dump.message ?? "")
            let record = try XCTUnwrap(try ManifestStore(directory: backups).read().record(named: "live-\(round).dump"))
            let counted = try XCTUnwrap(record.rowCounts?["public.live_writes"])

            let restored = "live_restored_\(round)"
            let created = try await harness.run(CreateDatabase(), ["target": "db", "database": .string(restored), "template": "template0"])
            XCTAssertTrue(created.succeeded, created.message ?? "")
            let restore = try await harness.run(Restore(), ["target": "db", "database": .string(restored), "from": .string(backups + "/live-\(round).dump")])
            XCTAssertTrue(restore.succeeded, restore.message ?? "")
            let dumped = try cluster.psql(restored, "SELECT count(*) FROM public.live_writes")
            XCTAssertEqual(String(counted), dumped, "round \(round): the manifest counted \(counted) rows, the dump holds \(dumped)")

            let verified = try await harness.run(VerifyRestore(), ["target": "db", "database": .string(restored),
                                                                  "artifact": .string(backups + "/live-\(round).dump")])
            XCTAssertTrue(verified.succeeded, "round \(round): \(verified.message ?? "")")
        }
        let later = Int(try cluster.psql("user_service_db", "SELECT count(*) FROM public.live_writes")) ?? 0
        XCTAssertGreaterThan(later, rows, "rows kept arriving during the dumps")
    }

    func testTheSnapshotSessionLeavesNoSessionOrFileBehind() async throws {
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("runbook-snapshot-") })
        let dump = try await harness.run(Dump(), ["target": "db", "database": "payment_service_db", "dir": .string(backups), "name": "clean"])
        XCTAssertTrue(dump.succeeded, dump.message ?? "")
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("runbook-snapshot-") })
        XCTAssertEqual(after.subtracting(before), [], "the FIFO's directory is removed")
        XCTAssertEqual(try cluster.psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = 'payment_service_db'"), "0",
                       "the counting session ended with the dump")
    }
}
