import Foundation
import XCTest

/// The whole story against a real Docker Engine, through the built `runbook` binary as an
/// operator runs it: back up the compose stack (pg_dump inside postgres-shared through
/// `docker compose exec -T`, media from SeaweedFS), destroy the data (drop every database,
/// empty the bucket, take the stack down), run disaster-recovery, and prove that every row
/// of every table (md5 of the ordered rows) and every object (sha256) is back, and that
/// compose and the health endpoint say the services are up.
final class DisasterRecoveryDockerTests: XCTestCase {
    private static let shared = SharedComposeStack()

    override class func tearDown() {
        shared.release()
        super.tearDown()
    }

    func testBackupDestroyRecoverBringsBackEveryRowAndObject() throws {
        let stack = try Self.shared.acquire()
        let work = stack.engine.root + "/dr"
        let backups = work + "/backups", state = work + "/state"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)

        try stack.up()
        try stack.loadSampleData()
        try stack.loadSampleMedia(scratch: work)
        // An application role owning a table: lost with the server, it must come back from the
        // globals dump (psql inside postgres-shared, statements through stdin) before the restore
        // can give the table back to it.
        try stack.psql("postgres", "CREATE ROLE event_owner LOGIN PASSWORD 'event-owner-pw'")
        try stack.psql("shared_services_db", "ALTER TABLE event_service.registrations OWNER TO event_owner")
        var tablesBefore: [String: [String: String]] = [:]
        for db in ComposeStack.databases { tablesBefore[db] = try stack.tableChecksums(db) }
        let objectsBefore = try stack.objectChecksums(scratch: work)
        XCTAssertEqual(tablesBefore.values.map(\.count).reduce(0, +), 5, "sample tables loaded")
        XCTAssertGreaterThan(objectsBefore.count, 60, "sample media loaded")

        let profile = work + "/docker.yaml"
        try profileYAML(stack).write(toFile: profile, atomically: true, encoding: .utf8)
        let secrets = ["RUNBOOK_TEST_PG_PASSWORD": stack.pgPassword,
                       "RUNBOOK_TEST_S3_ACCESS_KEY": stack.s3AccessKey,
                       "RUNBOOK_TEST_S3_SECRET_KEY": stack.s3SecretKey]

        // Backup: every database and the media.
        try runbook(["run", "backup", "--profile", profile, "--state-dir", state, "--yes",
                     "--param", "backup_dir=\(backups)", "--param", "bucket=\(ComposeStack.bucket)"], secrets: secrets)

        // The disaster.
        for db in ComposeStack.databases { try stack.psql("postgres", "DROP DATABASE \(db) WITH (FORCE)") }
        try stack.psql("postgres", "DROP ROLE event_owner")
        try stack.aws(["s3", "rm", "--only-show-errors", "--recursive", "s3://\(ComposeStack.bucket)"])
        XCTAssertEqual(try stack.objectChecksums(scratch: work).count, 0, "bucket emptied")
        try stack.compose(["down"])
        XCTAssertEqual(try stack.states(), [:], "no containers left")

        // The recovery, exactly as an operator would run it.
        let recovery = try runbook(["run", "disaster-recovery", "--profile", profile, "--state-dir", state, "--yes",
                                    "--param", "infrastructure=postgres-shared,s3", "--param", "services=app",
                                    "--param", "backup_dir=\(backups)", "--param", "bucket=\(ComposeStack.bucket)"], secrets: secrets)
        XCTAssertTrue(recovery.contains("succeeded"), recovery)
        XCTAssertTrue(recovery.contains("created roles event_owner; already there, left as they are: aqstream"), recovery)
        XCTAssertEqual(try stack.psql("shared_services_db", "SELECT tableowner FROM pg_tables WHERE tablename = 'registrations'"), "event_owner")

        for db in ComposeStack.databases {
            XCTAssertEqual(try stack.tableChecksums(db), tablesBefore[db], "\(db): every table, row for row")
        }
        XCTAssertEqual(try stack.objectChecksums(scratch: work), objectsBefore, "every object, byte for byte")
        for service in ComposeStack.services {
            XCTAssertEqual(try stack.states()[service], "running healthy", service)
        }
        let health = try stack.appHealth()
        XCTAssertTrue(health.contains("\"status\": \"UP\""), health)

        // The audit trail is intact; it shows the PostgreSQL tools ran inside the container
        // (the host's own pg_dump was not used), and no secret value reached it.
        try runbook(["audit", "verify", "--state-dir", state], secrets: [:])
        let audit = try String(contentsOfFile: state + "/audit.jsonl", encoding: .utf8).split(separator: "\n")
        for tool in ["\"pg_dump\"", "\"pg_restore\""] {
            XCTAssertTrue(audit.contains { $0.contains(tool) && $0.contains("compose exec postgres-shared") }, "\(tool) through docker compose exec")
            XCTAssertFalse(audit.contains { $0.contains(tool) && $0.contains("\"transport\":\"local\"") }, "\(tool) never on the host")
        }
        for secret in secrets.values {
            XCTAssertFalse(audit.contains { $0.contains(secret) }, "a secret value is in the audit trail")
            XCTAssertFalse(recovery.contains(secret), "a secret value is in the terminal output")
        }

        // The RTO achieved (start of the run until the health step succeeded) is in the history,
        // the audit trail and the run's last lines; the after-restore checklist is not counted.
        let history = try runbook(["history", "--state-dir", state, "--format", "json"], secrets: [:])
        let runs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(history.utf8)) as? [[String: Any]])
        let dr = try XCTUnwrap(runs.first { $0["runbook"] as? String == "disaster-recovery" })
        XCTAssertEqual(dr["status"] as? String, "succeeded")
        let rto = try XCTUnwrap(dr["rto_seconds"] as? Double)
        XCTAssertLessThanOrEqual(rto, try XCTUnwrap(dr["duration"] as? Double))
        XCTAssertEqual(dr["rto_until"] as? String, "health")
        XCTAssertEqual(dr["rto_met"] as? Bool, true)
        XCTAssertTrue(audit.contains { $0.contains("\"event\":\"rto\"") && $0.contains("\"run\":\"\(dr["run"] as? String ?? "")\"") })
        XCTAssertTrue(recovery.contains("RTO achieved: \(String(format: "%.1f", rto))s (objective 4h: met)"), recovery)
        // Which artifact each database was restored from: restore-database's declared output
        // `artifact`, recorded per loop item of the calling step.
        let shown = try runbook(["show", try XCTUnwrap(dr["run"] as? String), "--state-dir", state], secrets: [:])
        for db in ComposeStack.databases {
            let line = shown.split(separator: "\n").first { $0.contains("restore-databases[\(db)].outputs.artifact = ") }
            XCTAssertTrue(line?.contains(db) == true, "no artifact recorded for \(db):\n\(shown)")
        }
        print("disaster-recovery through docker compose: RTO achieved \(String(format: "%.1f", rto))s")
    }

    private func profileYAML(_ stack: ComposeStack) -> String {
        """
        profile: docker-test
        description: The test compose project on a private Docker Engine.
        secrets:
          pg_password: {env: RUNBOOK_TEST_PG_PASSWORD}
          s3_access_key: {env: RUNBOOK_TEST_S3_ACCESS_KEY}
          s3_secret_key: {env: RUNBOOK_TEST_S3_SECRET_KEY}
        targets:
        \(stack.profileTargets())
          media:
            s3:
              endpoint: \(stack.s3Endpoint)
              region: us-east-1
              access_key: "${secrets.s3_access_key}"
              secret_key: "${secrets.s3_secret_key}"
          app:
            http:
              base_url: \(stack.appURL)

        """
    }

    /// Runs the built binary as an operator would; fails the test with its output when it fails.
    @discardableResult
    private func runbook(_ arguments: [String], secrets: [String: String]) throws -> String {
        try ComposeRunbookCLI.succeed(arguments, secrets: secrets)
    }
}
