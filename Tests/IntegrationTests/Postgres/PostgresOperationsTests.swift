import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// wait-ready, SQL, checks, and the retention policy applied to real artifacts.
final class PostgresOperationsTests: PostgresSuite {
    func testWaitReadySucceedsAtOnceOnARunningServer() async throws {
        let result = try await harness.run(WaitReady(), ["target": "db", "timeout": "10s"])
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertTrue(result.message?.contains("1 attempt)") == true, result.message ?? "")
    }

    func testWaitReadyAsksALocalServerWithoutStartingPgIsready() async throws {
        // Over TCP the server asks for a password the probe never sends; over the socket it trusts.
        for target in ["db", "sock"] {
            let result = try await harness.run(WaitReady(), ["target": .string(target), "timeout": "10s"])
            XCTAssertTrue(result.succeeded, result.message ?? "")
            XCTAssertTrue(result.message?.hasSuffix("answered the startup message") == true, "\(target): \(result.message ?? "")")
        }
        XCTAssertEqual(harness.log, "127.0.0.1:\(cluster.port) - accepting connections (answered runbook's startup message)"
                           + "\(cluster.socketDir)/.s.PGSQL.\(cluster.port) - accepting connections (answered runbook's startup message)",
                       "only the probe's lines: pg_isready never ran")
    }

    func testWaitReadyPollsUntilTheServerComesUp() async throws {
        cluster.stopServerOnly()
        let starter = Task.detached { [cluster] in
            try await Task.sleep(nanoseconds: 1_500_000_000)
            try cluster!.start()
        }
        let result = try await harness.run(WaitReady(), ["target": "db", "timeout": "20s", "interval": "200ms"])
        try await starter.value
        XCTAssertTrue(result.succeeded, result.message ?? "")
        let waited = Double(result.outputs["waited"]?.stringValue ?? "") ?? 0
        XCTAssertGreaterThan(waited, 1.0)
        XCTAssertLessThan(waited, 15)
    }

    func testWaitReadyGivesUpAtItsDeadline() async throws {
        var target = cluster.tcpTarget()
        target.port = try PostgresCluster.freePort()
        var profile = harness.profile
        profile.targets.append(TargetDecl(name: "nowhere", binding: .postgres(target), location: SourceLocation(file: "t", line: 1, column: 1)))
        let h = PostgresActionHarness(cluster: cluster, processes: Self.makeRunner(), profile: profile, secrets: ["pg_password": cluster.password])
        let start = Date()
        let result = try await h.run(WaitReady(), ["target": "nowhere", "timeout": "2s", "interval": "500ms"])
        XCTAssertFalse(result.succeeded)
        XCTAssertTrue(result.message?.contains("not ready after") == true, result.message ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(start), 8)
    }

    func testSQLStopsAtTheFirstErrorAndQueryComparesTrimmedOutput() async throws {
        let failing = try await harness.run(RunSQL(), ["target": "db", "database": "user_service_db",
                                                       "sql": "CREATE TABLE t_once (x int); SELECT no_such_column FROM t_once; CREATE TABLE t_twice (x int)"])
        XCTAssertFalse(failing.succeeded)
        XCTAssertTrue(failing.message?.contains("no_such_column") == true, failing.message ?? "")
        XCTAssertEqual(try cluster.psql("user_service_db", "SELECT count(*) FROM pg_tables WHERE tablename IN ('t_once','t_twice')"), "0",
                       "several statements run as one transaction")
        let ok = try await harness.run(RunSQL(), ["target": "db", "database": "user_service_db", "sql": "SELECT 40 + 2, 'x'"])
        XCTAssertEqual(ok.outputs["result"]?.stringValue, "42|x")

        let pass = try await harness.run(QueryCheck(), ["target": "db", "database": "user_service_db",
                                                       "sql": "SELECT count(*) FROM user_service.users", "expect": " 2000\n"])
        XCTAssertTrue(pass.succeeded, pass.message ?? "")
        let fail = try await harness.run(QueryCheck(), ["target": "db", "database": "user_service_db",
                                                       "sql": "SELECT count(*) FROM user_service.users", "expect": "1999"])
        XCTAssertFalse(fail.succeeded)
        XCTAssertEqual(fail.message, "expected \"1999\", got \"2000\"")
    }

    func testRetentionWithAgesFakedInTheManifestKeepsItsFloorAndAuditsEveryDeletion() async throws {
        // Five real backups of one database, then pretend they all finished 400+ days ago:
        // backups stopped a year ago. The seed's find -mtime +30 -delete would remove them all.
        var names: [String] = []
        for i in 0..<5 {
            let dump = try await harness.run(Dump(), ["target": "db", "database": "payment_service_db", "dir": .string(backups),
                                                      "format": "custom", "name": .string("pay-\(i)")], runID: "r\(i)")
            XCTAssertTrue(dump.succeeded, dump.message ?? "")
            names.append("pay-\(i).dump")
        }
        let globals = try await harness.run(DumpGlobals(), ["target": "db", "dir": .string(backups), "name": "globals-old"])
        XCTAssertTrue(globals.succeeded, globals.message ?? "")
        try ManifestStore(directory: backups).update { m in
            for i in m.artifacts.indices {
                let index = names.firstIndex(of: m.artifacts[i].path) ?? 9
                m.artifacts[i].finishedAt = Date().addingTimeInterval(-Double(400 + index) * 86_400)
                m.artifacts[i].startedAt = m.artifacts[i].finishedAt.addingTimeInterval(-10)
            }
        }
        // A file the manifest does not know is never touched.
        _ = FileManager.default.createFile(atPath: backups + "/unmanaged.dump", contents: Data("PGDMP".utf8))
        let inputs: [String: Value] = ["dir": .string(backups), "keep_days": 30, "keep_min": 2]

        let plan = try harness.plan(Retention(), inputs)
        let planned = plan.compactMap { op -> String? in if case .builtin(let s) = op, s.hasPrefix("delete ") { return s }; return nil }
        XCTAssertEqual(planned.map { String($0.split(separator: ":")[0]) }, ["delete pay-2.dump", "delete pay-3.dump", "delete pay-4.dump"])
        XCTAssertEqual(directoryListing(backups).filter { $0.hasPrefix("pay-") }.count, 5, "plan deletes nothing")

        let result = try await harness.run(Retention(), inputs)
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertEqual(result.outputs["deleted"], .int(3))
        XCTAssertEqual(directoryListing(backups).filter { $0.hasSuffix(".dump") || $0.hasSuffix(".sql") },
                       ["globals-old.sql", "pay-0.dump", "pay-1.dump", "unmanaged.dump"])
        XCTAssertEqual(try ManifestStore(directory: backups).read().artifacts.map(\.path).sorted(),
                       ["globals-old.sql", "pay-0.dump", "pay-1.dump"])
        let deletions = harness.auditEvents.filter { $0.0 == "postgres.retention.delete" }
        XCTAssertEqual(deletions.count, 3)
        for event in deletions {
            XCTAssertTrue(event.1["reason"]?.stringValue?.contains("older than keep_days=30") == true, "\(event.1)")
            XCTAssertEqual(event.1["outcome"]?.stringValue, "deleted")
        }
        // Run again: the floor holds, nothing more goes.
        let again = try await harness.run(Retention(), inputs)
        XCTAssertEqual(again.outputs["deleted"], .int(0))
    }
}
