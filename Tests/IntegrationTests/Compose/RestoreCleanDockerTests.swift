import Foundation
@testable import RunbookActions
import XCTest

/// `restore-clean` on the production-style profile, against a real Docker Engine: PostgreSQL
/// runs as the compose service postgres-shared and is reached through `docker compose exec -T`;
/// the `app` service is stopped while its database is replaced and started again, also when
/// a step after the stop fails (the stop step's rollback).
final class RestoreCleanDockerTests: XCTestCase {
    private static let shared = SharedComposeStack()
    static let database = "shared_services_db"

    override class func tearDown() {
        shared.release()
        super.tearDown()
    }

    struct Setup {
        var stack: ComposeStack
        var work: String
        var profile: String
        var secrets: [String: String]
        var backups: String { work + "/backups" }
        var state: String { work + "/state" }
    }

    func setUpStack() throws -> Setup {
        let stack = try Self.shared.acquire()
        let work = stack.engine.root + "/restore-clean-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try stack.up()
        if try stack.psql(Self.database, "SELECT count(*) FROM pg_namespace WHERE nspname = 'event_service'") == "0" {
            try stack.loadSampleData()
        }
        let profile = work + "/docker.yaml"
        try """
        profile: docker-test
        description: The test compose project on a private Docker Engine.
        secrets:
          pg_password: {env: RUNBOOK_TEST_PG_PASSWORD}
        targets:
        \(stack.profileTargets())

        """.write(toFile: profile, atomically: true, encoding: .utf8)
        return Setup(stack: stack, work: work, profile: profile, secrets: ["RUNBOOK_TEST_PG_PASSWORD": stack.pgPassword])
    }

    func backUp(_ s: Setup) throws {
        try ComposeRunbookCLI.succeed(["run", "backup-database", "--profile", s.profile, "--state-dir", s.state, "--yes",
                                       "--param", "database=\(Self.database)", "--param", "backup_dir=\(s.backups)"], secrets: s.secrets)
    }

    func restoreClean(_ s: Setup) throws -> (status: Int32, text: String) {
        try ComposeRunbookCLI.run(["run", "restore-clean", "--profile", s.profile, "--state-dir", s.state, "--yes",
                                   "--param", "database=\(Self.database)", "--param", "backup_dir=\(s.backups)",
                                   "--param", "services=app"], secrets: s.secrets)
    }

    func testRestoreCleanStopsTheServicesRestoresEveryRowAndStartsThemAgain() throws {
        let s = try setUpStack()
        try backUp(s)
        let source = try s.stack.tableChecksums(Self.database)
        try s.stack.psql(Self.database, "UPDATE event_service.events SET title = upper(title) WHERE id % 2 = 0; DELETE FROM notification_service.templates")
        XCTAssertNotEqual(try s.stack.tableChecksums(Self.database), source)
        let appStarted = try s.stack.startedAt("app")

        let restore = try restoreClean(s)
        XCTAssertEqual(restore.status, 0, restore.text)
        XCTAssertEqual(try s.stack.tableChecksums(Self.database), source, "every table, row for row")
        XCTAssertNotEqual(try s.stack.startedAt("app"), appStarted, "app was stopped and started again")
        XCTAssertTrue(try s.stack.states()["app"]?.hasPrefix("running") ?? false)
        XCTAssertEqual(try s.stack.states()["postgres-shared"], "running healthy", "the database's own service is left alone")
        let audit = try String(contentsOfFile: s.state + "/audit.jsonl", encoding: .utf8)
        for verb in ["stop", "start"] {
            XCTAssertTrue(audit.contains("\"\(verb)\",\"app\""), "docker compose \(verb) app is in the audit trail")
        }
    }

    func testAFailureAfterTheStopStartsTheServicesAgain() throws {
        let s = try setUpStack()
        try backUp(s)
        // The artifact is intact (its checksum passes) but the manifest now claims other row
        // counts, so the verify step fails after the services were stopped and the data replaced.
        try ManifestStore(directory: s.backups).update { m in
            for i in m.artifacts.indices { m.artifacts[i].rowCounts = m.artifacts[i].rowCounts?.mapValues { $0 + 1 } }
        }
        let appStarted = try s.stack.startedAt("app")

        let restore = try restoreClean(s)
        XCTAssertEqual(restore.status, 2, restore.text)
        XCTAssertTrue(restore.text.contains("expected"), restore.text)
        XCTAssertNotEqual(try s.stack.startedAt("app"), appStarted, "app was stopped")
        XCTAssertTrue(try s.stack.states()["app"]?.hasPrefix("running") ?? false, "and started again by the rollback")
    }
}
