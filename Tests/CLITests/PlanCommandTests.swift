import Foundation
import XCTest

/// `runbook plan`, `docs` and `actions` through the built binary.
final class PlanCommandTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "plan-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/profiles", withIntermediateDirectories: true)
        try """
        profile: prod
        secrets:
          pg: {env: PG_SECRET_FOR_TEST}
        targets:
          stack: {compose: {project_dir: /opt/aqstream, project_name: aqstream}}
        """.write(toFile: dir + "/profiles/prod.yaml", atomically: true, encoding: .utf8)
        try """
        runbook: restart
        summary: Restart services one by one
        params:
          services: {type: list<string>, default: [event-service, media-service]}
        secrets:
          pg: {env: PG_SECRET_FOR_TEST}
        requires: [stack]
        steps:
          - id: restart
            title: Restart each service
            for_each: "${params.services}"
            as: svc
            action: compose.restart
            with: {target: stack, services: ["${svc}"]}
          - id: wipe
            action: compose.down
            with: {target: stack, volumes: true}
            confirm: Removes the stack's volumes
          - id: check
            manual:
              - Services answer
        """.write(toFile: dir + "/runbooks/restart.yaml", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testPlanShowsArgvPerLoopItemDestructiveStepsAndDigest() throws {
        let out = try RunbookBinary.run(["plan", "restart", "--profile", "prod", "--param", "services=a,b"], cwd: dir)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("$ docker compose --project-directory /opt/aqstream -p aqstream restart a\n"), out.stdout)
        XCTAssertTrue(out.stdout.contains("$ docker compose --project-directory /opt/aqstream -p aqstream restart b\n"), out.stdout)
        XCTAssertTrue(out.stdout.contains("2. wipe  [compose.down]  DESTRUCTIVE"), out.stdout)
        XCTAssertTrue(out.stdout.contains("confirm: Removes the stack's volumes"), out.stdout)
        XCTAssertTrue(out.stdout.contains("[ ] Services answer"), out.stdout)
        XCTAssertTrue(out.stdout.contains("destructive: wipe"), out.stdout)
        let digestLine = try XCTUnwrap(out.stdout.split(separator: "\n").first { $0.hasPrefix("Plan digest: sha256:") })
        // Same inputs, same digest; a different param, a different digest.
        let again = try RunbookBinary.run(["plan", "restart", "--profile", "prod", "--param", "services=a,b"], cwd: dir)
        XCTAssertTrue(again.stdout.contains(digestLine))
        let other = try RunbookBinary.run(["plan", "restart", "--profile", "prod", "--param", "services=a"], cwd: dir)
        XCTAssertFalse(other.stdout.contains(digestLine))
    }

    func testPlanJSONIsMachineReadable() throws {
        let out = try RunbookBinary.run(["plan", "restart", "--profile", "prod", "--format", "json"], cwd: dir)
        XCTAssertEqual(out.status, 0, out.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["runbook"] as? String, "restart")
        let steps = try XCTUnwrap(object["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["id"] as? String }, ["restart", "wipe", "check"])
        XCTAssertEqual(steps[1]["destructive"] as? Bool, true)
        let iterations = try XCTUnwrap(steps[0]["iterations"] as? [[String: Any]])
        let ops = try XCTUnwrap(iterations[0]["operations"] as? [[String: Any]])
        XCTAssertEqual(ops[0]["argv"] as? [String], ["docker", "compose", "--project-directory", "/opt/aqstream", "-p", "aqstream", "restart", "event-service"])
        XCTAssertTrue((object["digest"] as? String)?.hasPrefix("sha256:") ?? false)
    }

    func testPlanNeverChangesState() throws {
        let state = dir + "/state"
        let out = try RunbookBinary.run(["plan", "restart", "--profile", "prod", "--state-dir", state], cwd: dir)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: state), "plan created the state directory")
    }

    func testUnknownParamIsRejectedWithSuggestionAndExitCode1() throws {
        let out = try RunbookBinary.run(["plan", "restart", "--profile", "prod", "--param", "service=a"], cwd: dir)
        XCTAssertEqual(out.status, 1)
        XCTAssertTrue(out.stderr.contains("error: runbook \"restart\" has no param \"service\"; did you mean \"services\"? [unknown-param]"), out.stderr)
        XCTAssertEqual(out.stdout, "")
    }

    func testMalformedParamIsAUsageError() throws {
        let out = try RunbookBinary.run(["plan", "restart", "--param", "services"], cwd: dir)
        XCTAssertEqual(out.status, 64)
        XCTAssertTrue(out.stderr.contains("--param \"services\" must be NAME=VALUE"), out.stderr)
    }

    func testUnknownProfileNamesTheKnownOnes() throws {
        let out = try RunbookBinary.run(["plan", "restart", "--profile", "prd"], cwd: dir)
        XCTAssertEqual(out.status, 1)
        XCTAssertTrue(out.stderr.contains("no profile \"prd\""), out.stderr)
        XCTAssertTrue(out.stderr.contains("did you mean \"prod\"?"), out.stderr)
    }

    func testDocsRendersChecklistAndParamsTable() throws {
        let out = try RunbookBinary.run(["docs", "restart"], cwd: dir)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.hasPrefix("# restart\n\nRestart services one by one\n"), out.stdout)
        XCTAssertTrue(out.stdout.contains("| `services` | list<string> | `event-service, media-service` | no |"), out.stdout)
        XCTAssertTrue(out.stdout.contains("- [ ] Services answer"), out.stdout)
        XCTAssertTrue(out.stdout.contains("(destructive)"), out.stdout)
    }

    func testHelpTextDocumentsFormatsAndExitCodes() throws {
        let plan = try RunbookBinary.run(["plan", "--help"])
        XCTAssertEqual(plan.status, 0)
        XCTAssertTrue(plan.stdout.contains("--format <format>"), plan.stdout)
        XCTAssertTrue(plan.stdout.contains("text, json or markdown"), plan.stdout)
        XCTAssertTrue(plan.stdout.contains("Exit codes: 0 planned; 1 invalid runbook, profile or params; 64 usage error."), plan.stdout)
        let root = try RunbookBinary.run(["--help"])
        XCTAssertTrue(root.stdout.contains("2 step failed, rolled"), root.stdout)
    }
}
