import Foundation
import XCTest

/// One backup runbook across a fleet of 20 database hosts, the members of one profile group
/// (20 ports of two real sshds, each member its own ssh host with its own control master, all
/// reaching the real PostgreSQL 15 cluster), four at a time, with one member whose login is
/// refused: the run goes on with the others and exits 7, completed with failures.
final class SSHFleetTests: XCTestCase {
    static let members = 20
    static let parallel = 4
    static let broken = "db13"

    func testTwentyMembersFourAtATimeEachRecordedWithTheBrokenOneReported() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        try cluster.psql("postgres", "CREATE DATABASE fleet_db")
        try cluster.psql("fleet_db", "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 2000) g")
        // sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): two servers of ten ports.
        let servers = [try SSHServer(portCount: Self.members / 2), try SSHServer(portCount: Self.members - Self.members / 2)]
        defer { servers.forEach { $0.stop() } }
        let endpoints = servers.flatMap { server in server.ports.map { (server, $0) } }

        let names = (1...Self.members).map { String(format: "db%02d", $0) }
        // One group: the postgres shape once, each member only its own sshd port (and, for
        // the broken one, a key the server does not know).
        var members = ""
        for (i, name) in names.enumerated() {
            let (server, port) = endpoints[i]
            let identity = name == Self.broken ? server.strangerIdentity : server.identity
            members += "        \(name): {host: 127.0.0.1, port: \(port), identity_file: \(identity), known_hosts: \(server.knownHosts)}\n"
        }
        let directory = cluster.root + "/fleet"
        let cli = try SSHRunbookCLI(directory: directory, password: cluster.password, profile: """
            profile: fleet
            secrets:
              pg_password: {env: \(SSHRunbookCLI.passwordVariable)}
            targets:
              db_hosts:
                group:
                  shape:
                    postgres: {host: 127.0.0.1, port: \(cluster.port), user: aqstream, password: "${secrets.pg_password}", bin_dir: \(PostgresCluster.binDir)}
                  ssh: {user: root}
                  members:
            \(members)
            """)
        try cli.write(runbook: "fleet-backup", """
            runbook: fleet-backup
            summary: Back up fleet_db on every member of db_hosts, four hosts at a time
            params:
              dir: {type: path}
            requires: [db_hosts]
            steps:
              - id: backup
                for_each: ${targets.db_hosts.members}
                as: member
                parallel: \(Self.parallel)
                on_failure: continue
                timeout: 120s
                action: postgres.dump
                with: {target: "${member}", database: fleet_db, dir: "${params.dir}/${member}", format: custom, name: fleet}
            """)
        let params = ["dir": directory + "/backups"]

        let plan = try cli.invoke("plan", "fleet-backup", params)
        XCTAssertEqual(plan.status, 0, plan.output)
        for (i, name) in names.enumerated() {
            XCTAssertTrue(plan.output.contains("for member = \(name):"), "the plan lists member \(name)")
            XCTAssertTrue(plan.output.contains("-p \(endpoints[i].1) -l root -- 127.0.0.1"), "the plan shows \(name)'s ssh argv")
        }

        let started = Date()
        let outcome = try cli.invoke("run", "fleet-backup", params)
        let wall = Date().timeIntervalSince(started)
        // One member failed: the run went on with the others but does not pass for a success.
        XCTAssertEqual(outcome.status, 7, "completed with failures: \(outcome.output)")
        XCTAssertTrue(outcome.output.contains("completed with failures"), outcome.output)
        XCTAssertTrue(outcome.output.contains("1 failed and the run went on (on_failure: continue): backup[\(Self.broken)]"), outcome.output)
        XCTAssertEqual(outcome.leaks, [], "the password appeared in a process's argv")
        for name in names where name != Self.broken {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/backups/\(name)/fleet.dump"), "\(name)'s dump: \(outcome.output)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/backups/\(Self.broken)/fleet.dump"))
        // Every member's control master was closed when the run ended.
        let masters = ArgvScanner.argvs().filter { argv in argv.contains("ControlMaster=yes") && servers.contains { argv.contains($0.root) } }
        XCTAssertEqual(masters, [], "control masters outlived the run")
        XCTAssertTrue(outcome.output.contains("backup[\(Self.broken)]"), outcome.output)
        XCTAssertTrue(outcome.output.contains("Permission denied (publickey)"), outcome.output)

        // Each member is its own record in the journal and the audit trail.
        let audit = try String(contentsOfFile: cli.state + "/audit.jsonl", encoding: .utf8)
        let events = audit.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        for name in names {
            let ends = events.filter { ($0["step"] as? String) == "backup[\(name)]" && ($0["event"] as? String) == "step.end" }
            XCTAssertEqual(ends.count, 1, "one end record for \(name)")
            XCTAssertEqual(ends.first?["status"] as? String, name == Self.broken ? "failed-continued" : "succeeded", name)
        }
        let runs = try FileManager.default.contentsOfDirectory(atPath: cli.state + "/runs").filter {
            FileManager.default.fileExists(atPath: cli.state + "/runs/\($0)/journal.json")
        }
        XCTAssertEqual(runs.count, 1, "one run journal")
        let journalData = try Data(contentsOf: URL(fileURLWithPath: cli.state + "/runs/\(runs[0])/journal.json"))
        let journal = try XCTUnwrap(JSONSerialization.jsonObject(with: journalData) as? [String: Any])
        XCTAssertEqual(journal["status"] as? String, "completed-with-failures")
        let records = (journal["steps"] as? [[String: Any]]) ?? []
        for name in names {
            let record = records.first { ($0["path"] as? String) == "backup[\(name)]" }
            XCTAssertEqual(record?["state"] as? String, name == Self.broken ? "failed-continued" : "succeeded", "journal record of \(name)")
        }
        let runEnd = events.last { ($0["event"] as? String) == "run.end" }
        XCTAssertEqual(runEnd?["status"] as? String, "completed-with-failures")
        XCTAssertEqual(runEnd?["exit_status"] as? Int, 7)

        // At most `parallel` pg_dumps ran at once, and the bound was reached.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var edges: [(Double, Int)] = []
        for e in events where (e["event"] as? String) == "process" {
            guard let argv = e["argv"] as? [String], argv.last?.contains("/pg_dump ") == true,
                  let time = (e["time"] as? String).flatMap(formatter.date), let duration = e["duration"] as? Double else { continue }
            let end = time.timeIntervalSince1970
            edges += [(end - duration, 1), (end, -1)]
        }
        XCTAssertEqual(edges.count, 2 * (Self.members - 1), "one pg_dump per reachable member")
        var running = 0, most = 0
        for (_, delta) in edges.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
            running += delta
            most = max(most, running)
        }
        XCTAssertLessThanOrEqual(most, Self.parallel, "more than \(Self.parallel) members ran at once")
        XCTAssertGreaterThanOrEqual(most, 2, "members ran one at a time")
        print("fleet: \(Self.members) members, parallel \(Self.parallel): wall \(String(format: "%.1f", wall)) s, max concurrent pg_dump \(most)")
    }
}
