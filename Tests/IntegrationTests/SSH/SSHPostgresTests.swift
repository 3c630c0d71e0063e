import Foundation
import XCTest

/// `via: ssh` against a real sshd on loopback and a real PostgreSQL 15 cluster: the "remote"
/// host is this machine, reached only through ssh, so `/proc` shows both sides of the run.
final class SSHPostgresTests: XCTestCase {
    nonisolated(unsafe) static var cluster: PostgresCluster?
    nonisolated(unsafe) static var server: SSHServer?
    nonisolated(unsafe) static var setupError: String?

    var cluster: PostgresCluster!
    var server: SSHServer!
    var directory = ""

    override func setUpWithError() throws {
        if let error = Self.setupError { throw PostgresCluster.HarnessError(description: error) }
        if Self.cluster == nil {
            do {
                let c = try PostgresCluster()
                Self.cluster = c
                try c.createAqStreamDatabases(events: 3_000, pgbenchScale: 1)
                Self.server = try SSHServer()
            } catch {
                Self.setupError = "\(error)"
                throw error
            }
        }
        cluster = Self.cluster
        server = Self.server
        directory = cluster.root + "/ssh-" + UUID().uuidString.prefix(8)
    }

    override class func tearDown() {
        server?.stop()
        server = nil
        cluster?.stop()
        cluster = nil
        super.tearDown()
    }

    /// A profile whose `db` runs the client tools on the ssh host and connects there over TCP
    /// with the password (so PGPASSWORD must cross ssh).
    func cli(ssh: String? = nil) throws -> SSHRunbookCLI {
        try SSHRunbookCLI(directory: directory, password: cluster.password, profile: """
            profile: ssh-test
            secrets:
              pg_password: {env: \(SSHRunbookCLI.passwordVariable)}
            targets:
              dbhost:
                ssh: \(ssh ?? server.target())
              db:
                postgres: {via: ssh, ssh: dbhost, host: 127.0.0.1, port: \(cluster.port), user: aqstream, password: "${secrets.pg_password}", bin_dir: \(PostgresCluster.binDir)}
            """)
    }

    static let backupAndRestore = """
        runbook: ssh-backup-restore
        summary: Dump over ssh, restore over ssh into a new database
        params:
          dir: {type: path}
        requires: [db]
        steps:
          - id: dump
            action: postgres.dump
            with: {target: db, database: shared_services_db, dir: "${params.dir}", format: custom, name: shared}
          - id: create
            action: postgres.create-database
            with: {target: db, database: restored_over_ssh, template: template0}
          - id: restore
            action: postgres.restore
            with: {target: db, database: restored_over_ssh, from: "${steps.dump.outputs.path}"}
        """

    func testBackupAndRestoreOverSSHGiveIdenticalRowsAndNoArgvHoldsThePassword() throws {
        let cli = try cli()
        try cli.write(runbook: "ssh-backup-restore", Self.backupAndRestore)
        let backups = directory + "/backups"
        let outcome = try cli.invoke("run", "ssh-backup-restore", ["dir": backups])
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: backups + "/shared.dump"), outcome.output)
        let source = try TableChecksums.of { try cluster.psql("shared_services_db", $0) }
        let restored = try TableChecksums.of { try cluster.psql("restored_over_ssh", $0) }
        XCTAssertFalse(source.isEmpty)
        XCTAssertEqual(restored, source, "rows differ after a dump and restore over ssh")
        XCTAssertGreaterThan(outcome.scans, 5, "the /proc scan must have run during the run")
        XCTAssertEqual(outcome.leaks, [], "the password appeared in a process's argv")
        XCTAssertFalse(outcome.output.contains(cluster.password))
        // The run closed its control master and removed the socket directory.
        let audit = (try? String(contentsOfFile: cli.state + "/audit.jsonl", encoding: .utf8)) ?? ""
        XCTAssertFalse(audit.contains(cluster.password))
        XCTAssertTrue(audit.contains("ControlMaster=yes"), "the control master's start is in the audit trail")
        let leftovers = ArgvScanner.argvs().filter { $0.contains("ControlMaster=yes") && $0.contains(server.root) }
        XCTAssertEqual(leftovers, [], "a control master outlived the run")
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp"))?.filter { $0.hasPrefix("runbook-ssh-") } ?? []
        for dir in sockets {
            XCTAssertFalse(audit.contains("/tmp/" + dir + "/"), "the run's control directory /tmp/\(dir) was left behind")
        }
    }

    func testPlanShowsTheExactSSHArgvAndNoPassword() throws {
        let cli = try cli()
        try cli.write(runbook: "ssh-backup-restore", Self.backupAndRestore)
        let outcome = try cli.invoke("plan", "ssh-backup-restore", ["dir": directory + "/backups"])
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(outcome.output.contains("ssh -T -o ControlMaster=no -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=\(server.knownHosts) -i \(server.identity) -o IdentitiesOnly=yes"), outcome.output)
        XCTAssertTrue(outcome.output.contains("-p \(server.ports[0]) -l root -- 127.0.0.1 'f=/tmp/.runbook-ssh-"), outcome.output)
        XCTAssertTrue(outcome.output.contains("IFS= read -r PGPASSWORD; export PGPASSWORD; \(PostgresCluster.binDir)/pg_dump"), outcome.output)
        XCTAssertTrue(outcome.output.contains("printf '\\''%s\\n'\\'' \"$PGPASSWORD\""), outcome.output)
        XCTAssertFalse(outcome.output.contains(cluster.password))
    }

    func testUnknownHostKeyIsRefused() throws {
        let empty = directory + "-known_hosts"
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        let cli = try cli(ssh: server.target(knownHosts: empty))
        try cli.write(runbook: "ssh-backup-restore", Self.backupAndRestore)
        let outcome = try cli.invoke("run", "ssh-backup-restore", ["dir": directory + "/backups"])
        XCTAssertNotEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(outcome.output.contains("Host key verification failed"), outcome.output)
        XCTAssertEqual(try String(contentsOfFile: empty, encoding: .utf8), "", "the unknown key must not be recorded")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/backups/shared.dump"))
    }

    func testAcceptNewTrustsOnFirstUseOnlyWhenAsked() throws {
        let empty = directory + "-known_hosts"
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        let cli = try cli(ssh: server.target(knownHosts: empty, extra: ", host_keys: accept-new"))
        try cli.write(runbook: "probe", """
            runbook: probe
            summary: One trivial remote step
            requires: [dbhost]
            steps:
              - id: probe
                action: shell.run
                with: {host: dbhost, command: "echo remote-ok"}
            """)
        let outcome = try cli.invoke("run", "probe")
        XCTAssertEqual(outcome.status, 0, outcome.output)
        // Recorded (Debian's ssh_config hashes host names): ssh-keygen -F finds it.
        XCTAssertTrue(try String(contentsOfFile: empty, encoding: .utf8).contains(" ssh-ed25519 "))
        XCTAssertNoThrow(try PostgresCluster.run(["ssh-keygen", "-F", "[127.0.0.1]:\(server.ports[0])", "-f", empty], environment: ProcessInfo.processInfo.environment))
    }

    func testWrongIdentityIsRefused() throws {
        let cli = try cli(ssh: server.target(identity: server.strangerIdentity))
        try cli.write(runbook: "ssh-backup-restore", Self.backupAndRestore)
        let outcome = try cli.invoke("run", "ssh-backup-restore", ["dir": directory + "/backups"])
        XCTAssertNotEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(outcome.output.contains("Permission denied (publickey)"), outcome.output)
    }

    func testATimedOutRemoteStepLeavesNoProcessBehind() throws {
        let cli = try cli()
        let marker = 3000 + Int.random(in: 0..<999)
        try cli.write(runbook: "stuck", """
            runbook: stuck
            summary: A remote step that outlives its timeout
            requires: [dbhost]
            steps:
              - id: stuck
                action: shell.run
                timeout: 2s
                with: {host: dbhost, command: "sleep \(marker) & sleep \(marker + 1)"}
            """)
        let started = Date()
        let outcome = try cli.invoke("run", "stuck")
        XCTAssertNotEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(outcome.output.contains("timed out"), outcome.output)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        let left = ArgvScanner.argvs().filter { $0.contains("sleep \(marker)") || $0.contains("sleep \(marker + 1)") }
        XCTAssertEqual(left, [], "the remote processes outlived the timed-out step")
        // This run's pid file (other runs' are not this test's business).
        let pidFiles = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { name in
            guard name.hasPrefix(".runbook-ssh-"),
                  let modified = (try? FileManager.default.attributesOfItem(atPath: "/tmp/" + name))?[.modificationDate] as? Date else { return false }
            return modified >= started.addingTimeInterval(-1)
        }
        XCTAssertEqual(pidFiles, [], "the remote pid file was left behind")
    }
}
