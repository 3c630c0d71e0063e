@testable import RunbookActions
import RunbookCore
import XCTest

/// How a command is wrapped for an ssh host: the exact argv, where secrets travel, the shared
/// control master and the remote teardown. Real sshd behaviour is in IntegrationTests/SSH.
final class SSHWrapTests: XCTestCase {
    private let connection = SSHConnection(name: "db1-ssh", target: SSHTarget(host: "db1.internal", port: 2222, user: "backup",
                                                                             identityFile: "/etc/runbook/id", knownHosts: "/etc/runbook/known_hosts"),
                                           runID: "20261204T210000Z-abcdef")

    func testTheArgvChecksHostKeysNeverPromptsAndUsesTheRunsControlSocket() {
        let wrapped = connection.wrap(CommandLine(argv: ["pg_isready", "-q"]))
        XCTAssertEqual(Array(wrapped.argv.dropLast()), [
            "ssh", "-T", "-o", "ControlMaster=no", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=/etc/runbook/known_hosts", "-i", "/etc/runbook/id", "-o", "IdentitiesOnly=yes",
            "-o", "ConnectTimeout=10", "-o", "ControlPath=/tmp/runbook-ssh-20261204T210000Z-abcdef/%C", "-p", "2222", "-l", "backup",
            "--", "db1.internal",
        ])
        XCTAssertTrue(wrapped.argv.last!.hasSuffix("; pg_isready -q; s=$?; rm -f \"$f\"; exit $s"), wrapped.argv.last!)
        XCTAssertNil(wrapped.stdinFrom, "nothing to send: no stdin printer")
        XCTAssertEqual(wrapped.transport, "ssh db1-ssh")
        XCTAssertEqual(wrapped.remoteArgv, ["pg_isready", "-q"])
        XCTAssertEqual(wrapped.connection?.privateDirectory, "/tmp/runbook-ssh-20261204T210000Z-abcdef")
        XCTAssertEqual(Array(wrapped.connection!.open.prefix(6)), ["ssh", "-f", "-N", "-o", "ControlMaster=yes", "-o"])
        XCTAssertEqual(Array(wrapped.connection!.close.suffix(4)), ["-O", "exit", "--", "db1.internal"])
    }

    func testAcceptNewIsOnlyWhatTheProfileAsksFor() {
        var target = connection.target
        target.acceptNewHostKeys = true
        let argv = SSHConnection(name: "x", target: target, runID: "r").wrap(CommandLine(argv: ["true"])).argv
        XCTAssertTrue(argv.contains("StrictHostKeyChecking=accept-new"))
        XCTAssertFalse(argv.contains("StrictHostKeyChecking=yes"))
    }

    func testSecretsTravelOnStdinAndOnlyTheirNamesAreInTheText() {
        let command = CommandLine(argv: ["pg_restore", "-d", "app"], environment: ["PGPASSWORD": .secret("pg"), "MODE": .literal("a b")],
                                  stdinFile: "/backups/app.dump")
        let wrapped = connection.wrap(command)
        let script = wrapped.argv.last!
        XCTAssertTrue(script.contains("; IFS= read -r PGPASSWORD; export PGPASSWORD; "), script)
        XCTAssertTrue(script.contains("; export MODE='a b'; "), script)
        XCTAssertEqual(wrapped.stdinFrom, ["/bin/sh", "-c", "printf '%s\\n' \"$PGPASSWORD\" && exec cat", "runbook-ssh-stdin"],
                       "the secret's value is printed by a shell builtin, then the archive follows")
        XCTAssertEqual(wrapped.stdinFile, "/backups/app.dump")
        XCTAssertEqual(wrapped.environment["PGPASSWORD"], .secret("pg"), "resolved only when the local processes start")
    }

    func testAProducerKeepsItsPlaceAfterTheSecrets() {
        let command = CommandLine(argv: ["psql", "-f", "-"], environment: ["PGPASSWORD": .secret("pg")], stdinFrom: ["gzip", "-dc", "/b/x.sql.gz"])
        XCTAssertEqual(connection.wrap(command).stdinFrom,
                       ["/bin/sh", "-c", "printf '%s\\n' \"$PGPASSWORD\" && exec \"$@\"", "runbook-ssh-stdin", "gzip", "-dc", "/b/x.sql.gz"])
    }

    func testTheTeardownKillsTheProcessGroupTheRemoteShellRecorded() {
        let wrapped = connection.wrap(CommandLine(argv: ["sleep", "100"]))
        let pidFile = wrapped.argv.last!.split(separator: ";").first!.replacingOccurrences(of: "f=", with: "")
        XCTAssertTrue(pidFile.hasPrefix("/tmp/.runbook-ssh-") && pidFile.hasSuffix(".pid"), pidFile)
        XCTAssertTrue(wrapped.argv.last!.contains("(umask 077 && echo $$ >\"$f\")"))
        let teardown = wrapped.teardown!
        XCTAssertEqual(Array(teardown.dropLast()), Array(wrapped.argv.dropLast()), "the same host, options and control socket")
        XCTAssertTrue(teardown.last!.hasPrefix("f=\(pidFile); "), teardown.last!)
        XCTAssertTrue(teardown.last!.contains("kill -TERM -- -\"$p\""), teardown.last!)
        XCTAssertTrue(teardown.last!.contains("kill -KILL -- -\"$p\""), teardown.last!)
        XCTAssertNotEqual(connection.wrap(CommandLine(argv: ["sleep", "101"])).teardown, teardown, "each command has its own pid file")
    }

    func testComposeOnAnSSHHostForwardsThePasswordByName() {
        let transport = Transport.ssh(connection, inner: .composeExec(project: ComposeTarget(projectDir: "/opt/app"), service: "db"))
        let wrapped = transport.wrap(CommandLine(argv: ["pg_dump", "app"], environment: ["PGPASSWORD": .secret("pg")]))
        XCTAssertTrue(wrapped.argv.last!.contains("export PGPASSWORD; docker compose --project-directory /opt/app exec -T -e PGPASSWORD db pg_dump app;"),
                      wrapped.argv.last!)
        XCTAssertEqual(wrapped.transport, "ssh db1-ssh, compose exec db")
        XCTAssertEqual(PostgresExecution.toolName(wrapped), "pg_dump")
    }
}
