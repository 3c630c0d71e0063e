import Foundation
import RunbookActions
import RunbookCore
import XCTest

/// The planner resolves params, loops and targets, and shows exactly the argv a run would use.
final class PlannerTests: XCTestCase {
    let profileYAML = """
    profile: test
    secrets:
      pg: {env: PGPASS_TEST}
    targets:
      stack: {compose: {project_dir: /opt/aqstream, project_name: aqstream}}
      app: {http: {base_url: "http://127.0.0.1:8080/"}}
    """

    func load(_ yaml: String, name: String = "t") throws -> Runbook {
        let doc = YAMLDocument.parse(Data(yaml.utf8), path: "\(name).yaml")
        let loaded = RunbookLoader.load(document: doc)
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.runbook)
    }

    func profile() throws -> Profile {
        let loaded = ProfileLoader.load(document: YAMLDocument.parse(Data(profileYAML.utf8), path: "p.yaml"))
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.profile)
    }

    func testComposeStopPlansExactArgvAndRollback() throws {
        let rb = try load("""
        runbook: t
        summary: s
        requires: [stack]
        params:
          services: {type: list<string>, default: [event-service, media-service]}
        steps:
          - id: stop
            action: compose.stop
            with: {target: stack, services: "${params.services}"}
            rollback:
              action: compose.start
              with: {target: stack, services: "${params.services}"}
        """)
        let (params, diags) = ParamBinder.bind(rb, given: [:])
        XCTAssertEqual(diags, [])
        let plan = Planner(catalog: Registry.catalog, profile: try profile(), stateDir: "/state").plan(rb, params: params)
        let step = try XCTUnwrap(plan.steps.first)
        XCTAssertEqual(step.problems, [])
        guard case .command(let stop)? = step.iterations.first?.operations.first,
              case .command(let start)? = step.iterations.first?.rollback.first else {
            return XCTFail("expected commands, got \(step.iterations)")
        }
        XCTAssertEqual(stop.argv, ["docker", "compose", "--project-directory", "/opt/aqstream", "-p", "aqstream", "stop", "event-service", "media-service"])
        XCTAssertEqual(start.argv, ["docker", "compose", "--project-directory", "/opt/aqstream", "-p", "aqstream", "start", "event-service", "media-service"])
    }

    func testForEachExpandsOneIterationPerItemAndWhenIsEvaluated() throws {
        let rb = try load("""
        runbook: t
        summary: s
        requires: [stack]
        params:
          services: {type: list<string>, default: [a, b, c]}
          manage: {type: bool, default: false}
        steps:
          - id: restart-each
            for_each: "${params.services}"
            as: svc
            parallel: 2
            action: compose.restart
            with: {target: stack, services: ["${svc}"]}
          - id: up
            when: "${params.manage}"
            action: compose.up
            with: {target: stack}
        """)
        let (params, _) = ParamBinder.bind(rb, given: ["services": "x,y"])
        let plan = Planner(catalog: Registry.catalog, profile: try profile(), stateDir: "/state").plan(rb, params: params)
        let loop = plan.steps[0]
        XCTAssertEqual(loop.iterations.map { $0.loopBinding?.value }, ["x", "y"])
        let argvs = loop.iterations.compactMap { it -> [String]? in
            if case .command(let c)? = it.operations.first { return Array(c.argv.suffix(2)) }
            return nil
        }
        XCTAssertEqual(argvs, [["restart", "x"], ["restart", "y"]])
        XCTAssertEqual(plan.steps[1].condition?.holds, false)
        XCTAssertTrue(PlanRenderer.text(plan, digest: nil).contains("when: ${params.manage}  -> SKIPPED"))
    }

    func testMissingTargetInProfileIsReportedNotCrashed() throws {
        let rb = try load("""
        runbook: t
        summary: s
        requires: [other]
        steps:
          - id: up
            action: compose.up
            with: {target: other}
        """)
        let plan = Planner(catalog: Registry.catalog, profile: try profile(), stateDir: "/s").plan(rb, params: [:])
        XCTAssertEqual(plan.steps[0].problems.count, 1)
        XCTAssertTrue(plan.steps[0].problems[0].contains("profile \"test\" has no target \"other\""), plan.steps[0].problems[0])
    }

    func testComposeExecForwardsSecretByNameOnly() throws {
        let rb = try load("""
        runbook: t
        summary: s
        requires: [stack]
        secrets:
          pg: {env: PGPASS_TEST}
        steps:
          - id: dump
            action: compose.exec
            with:
              target: stack
              service: postgres-shared
              command: [pg_dump, -U, aqstream, -Fc, shared_services_db]
              env: {PGPASSWORD: "${secrets.pg}"}
              stdout: /backups/shared.dump
        """)
        let plan = Planner(catalog: Registry.catalog, profile: try profile(), stateDir: "/s").plan(rb, params: [:])
        guard case .command(let c)? = plan.steps[0].iterations[0].operations.first else { return XCTFail("\(plan.steps[0].problems)") }
        XCTAssertEqual(c.argv, ["docker", "compose", "--project-directory", "/opt/aqstream", "-p", "aqstream", "exec", "-T",
                                "-e", "PGPASSWORD", "postgres-shared", "pg_dump", "-U", "aqstream", "-Fc", "shared_services_db"])
        XCTAssertEqual(c.environment["PGPASSWORD"], .secret("pg"))
        XCTAssertEqual(c.stdoutFile, "/backups/shared.dump")
        let text = PlanRenderer.text(plan, digest: nil)
        XCTAssertTrue(text.contains("env PGPASSWORD = <secret pg>"), text)
    }

    func testSecretEmbeddedInTextIsRefused() throws {
        let rb = try load("""
        runbook: t
        summary: s
        requires: [stack]
        secrets:
          pg: {env: PGPASS_TEST}
        steps:
          - id: leak
            action: compose.exec
            with: {target: stack, service: s, command: ["echo", "pw=${secrets.pg}"]}
        """)
        let plan = Planner(catalog: Registry.catalog, profile: try profile(), stateDir: "/s").plan(rb, params: [:])
        XCTAssertEqual(plan.steps[0].iterations[0].operations.count, 0)
        XCTAssertTrue(plan.steps[0].problems.first?.contains("is a secret and cannot be embedded in text") ?? false, "\(plan.steps[0].problems)")
    }

    func testPlanDigestChangesWithParamsAndProfile() {
        let a = PlanDigest.compute(runbookDigests: ["r": "aa"], params: ["db": .string("x")], profileDigest: "p1")
        XCTAssertEqual(a, PlanDigest.compute(runbookDigests: ["r": "aa"], params: ["db": .string("x")], profileDigest: "p1"))
        XCTAssertNotEqual(a, PlanDigest.compute(runbookDigests: ["r": "aa"], params: ["db": .string("y")], profileDigest: "p1"))
        XCTAssertNotEqual(a, PlanDigest.compute(runbookDigests: ["r": "aa"], params: ["db": .string("x")], profileDigest: "p2"))
        XCTAssertNotEqual(a, PlanDigest.compute(runbookDigests: ["r": "ab"], params: ["db": .string("x")], profileDigest: "p1"))
        XCTAssertTrue(a.hasPrefix("sha256:"))
    }
}
