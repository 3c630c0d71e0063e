import Foundation
@testable import RunbookActions
import XCTest

/// `runbook run restore-database` at a real terminal (a pty from script(1)) against PostgreSQL 15:
/// the confirmation names the backup `latest` stands for (file, when taken and how long ago,
/// size, verified), and so does its audit line; a declined confirmation after `wait-ready`
/// completed exits 2 and suggests `resume`.
final class PostgresConfirmationTerminalTests: PostgresSuite {
    private var cli: RunbookCLI!

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw XCTSkip("needs script(1) from util-linux for a pty")
        }
        cli = try RunbookCLI(cluster: cluster, directory: cluster.root + "/confirm-" + UUID().uuidString.prefix(8))
    }

    /// Runs restore-database under script(1), types `answer` once the confirmation is asked,
    /// and returns the exit status and what the terminal showed.
    private func restoreAtTerminal(answer: String) throws -> (status: Int32, screen: String) {
        let argv = try cli.argv(run: "restore-database", ["database": "user_service_db", "backup_dir": backups], yes: false)
        let command = argv.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let fifo = cli.state + "-typed-" + UUID().uuidString.prefix(6)
        let log = fifo + ".log"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        var env = cli.environment
        env["TERM"] = "xterm"
        // Opened read-write first: the child's read-only open would otherwise wait for a writer
        // inside posix_spawn, before this process could open one.
        let typing = open(fifo, O_RDWR)
        defer { close(typing) }
        // `exec`: script(1) runs the command through $SHELL, or /bin/sh when SHELL is unset (as in CI).
        let child = try ChildProcess.spawn(["/usr/bin/script", "-qec", "exec " + command, "/dev/null"],
                                           environment: env, stdout: log, stderr: log, stdin: fifo)
        let deadline = Date().addingTimeInterval(60)
        var screen = ""
        while !screen.contains("Type user_service_db to confirm"), Date() < deadline {
            usleep(50_000)
            screen = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        XCTAssertTrue(screen.contains("Type user_service_db to confirm"), "never asked: \(screen)")
        _ = (answer + "\n").withCString { write(typing, $0, strlen($0)) }
        let status = try child.wait()
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    private func backUp() throws -> DumpRecord {
        let backup = try cli.run("backup-database", ["database": "user_service_db", "backup_dir": backups])
        XCTAssertEqual(backup.status, 0, backup.output)
        return try XCTUnwrap(try ManifestStore(directory: backups).read().artifacts.first)
    }

    func testTheConfirmationAndItsAuditLineNameTheBackupLatestStandsFor() throws {
        let record = try backUp()
        let path = backups + "/" + record.path
        let r = try restoreAtTerminal(answer: "user_service_db")
        XCTAssertEqual(r.status, 0, r.screen)
        let named = "latest is \(path), taken \(ManifestTime.format(record.finishedAt)) ("
        XCTAssertTrue(r.screen.contains(named), r.screen)
        XCTAssertTrue(r.screen.contains(" s ago), ") || r.screen.contains(" min ago), "), r.screen)
        XCTAssertTrue(r.screen.contains(S3Mirror.bytes(record.size) + ", verified (read back when written; never restore-tested)"), r.screen)
        let confirmation = try XCTUnwrap(cli.auditLines.first { $0.contains("\"event\":\"confirmation\"") })
        XCTAssertTrue(confirmation.contains("\"status\":\"confirmed\""), confirmation)
        XCTAssertTrue(confirmation.contains("\"artifact\":\"\(path)\""), confirmation)
        XCTAssertTrue(confirmation.contains("\"artifact_sha256\":\"\(record.sha256)\""), confirmation)
        XCTAssertTrue(confirmation.contains(named), confirmation)
        let restored = try XCTUnwrap(cli.auditLines.first { $0.contains("\"event\":\"postgres.restore\"") })
        XCTAssertTrue(restored.contains("\"path\":\"\(path)\""), restored)
    }

    func testDecliningAfterWaitReadyCompletedExitsTwoAndSuggestsResume() throws {
        _ = try backUp()
        let before = try cluster.tableChecksums("user_service_db")
        let r = try restoreAtTerminal(answer: "no")
        XCTAssertEqual(r.status, 2, r.screen)
        XCTAssertTrue(r.screen.contains("not confirmed"), r.screen)
        XCTAssertTrue(r.screen.contains("resume with: runbook resume "), r.screen)
        XCTAssertEqual(try cluster.tableChecksums("user_service_db"), before)
        let refusal = try XCTUnwrap(cli.auditLines.first { $0.contains("\"event\":\"confirmation\"") })
        XCTAssertTrue(refusal.contains("\"status\":\"refused\"") && refusal.contains("\"artifact\":"), refusal)
    }
}
