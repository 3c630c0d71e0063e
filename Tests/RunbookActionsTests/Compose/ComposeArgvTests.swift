@testable import RunbookActions
import RunbookCore
import XCTest

/// The exact docker compose argv each compose action plans (and so runs), and the parsing
/// of `docker compose ps --format json`. Real-engine behaviour is in IntegrationTests/Compose.
final class ComposeArgvTests: XCTestCase {
    private let base = ["docker", "compose", "--project-directory", "/opt/aqstream"]

    private func commands(_ action: any ActionDefinition, _ inputs: [String: Value]) throws -> [CommandLine] {
        var all = inputs
        all["target"] = "stack"
        let call = PostgresCalls.call(action, PostgresCalls.localTarget, all)
        return PostgresCalls.commands(try action.plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))
    }

    func testUpWaitsWithADeadlineInWholeSeconds() throws {
        XCTAssertEqual(try commands(ComposeUp(), ["services": .list(["postgres-shared", "minio"]), "wait_timeout": "90s"]).map(\.argv),
                       [base + ["up", "-d", "--wait", "--wait-timeout", "90", "postgres-shared", "minio"]])
        XCTAssertEqual(try commands(ComposeUp(), ["wait": false]).map(\.argv), [base + ["up", "-d"]])
        XCTAssertThrowsError(try commands(ComposeUp(), ["wait_timeout": "0s"])) { XCTAssertTrue("\($0)".contains("at least 1s"), "\($0)") }
    }

    func testStopAndRestartTakeATimeoutStartDoesNot() throws {
        XCTAssertEqual(try commands(ComposeVerb("stop", summary: "", timeout: true), ["services": .list(["app"]), "timeout": "1m"]).map(\.argv),
                       [base + ["stop", "--timeout", "60", "app"]])
        XCTAssertEqual(try commands(ComposeVerb("start", summary: ""), ["services": .list(["app"])]).map(\.argv), [base + ["start", "app"]])
        XCTAssertNil(ComposeVerb("start", summary: "").spec.input("timeout"))
    }

    func testExecIsArgvWithoutATTYAndForwardsOnlyVariableNames() throws {
        let exec = try commands(ComposeExec(), ["service": "postgres-shared", "command": .list(["pg_isready", "-q"]),
                                                "env": .map(["PGPASSWORD": .secret("pg_password"), "LANG": "C"]),
                                                "stdin": "/in", "stdout": "/out"])
        XCTAssertEqual(exec.map(\.argv), [base + ["exec", "-T", "-e", "LANG", "-e", "PGPASSWORD", "postgres-shared", "pg_isready", "-q"]])
        XCTAssertEqual(exec[0].environment["PGPASSWORD"], .secret("pg_password"))
        XCTAssertEqual(exec[0].stdinFile, "/in")
        XCTAssertEqual(exec[0].stdoutFile, "/out")
        XCTAssertThrowsError(try commands(ComposeExec(), ["service": "app", "command": .list([])]))
    }

    func testHealthyFirstAsksWhichServicesTheProjectDefines() throws {
        XCTAssertEqual(try commands(ComposeHealthy(), ["services": .list(["app"])]).map(\.argv),
                       [base + ["config", "--services"], base + ["ps", "--all", "--format", "json", "app"]])
    }

    func testPsJSONLinesAndArraysGiveTheSameStates() {
        let lines = """
            {"Name":"p-app-1","Service":"app","State":"running","Health":"starting","ExitCode":0}
            {"Name":"p-db-1","Service":"db","State":"exited","Health":"","ExitCode":137}
            {"Name":"p-s3-1","Service":"s3","State":"running","Health":"","ExitCode":0}
            """
        let array = "[" + lines.split(separator: "\n").joined(separator: ",") + "]"
        for output in [lines, array] {
            let states = ComposeServiceStates(parsing: output)
            XCTAssertEqual(states.problem("app"), "app: starting")
            XCTAssertNil(states.problem("app", requireHealthy: false))
            XCTAssertEqual(states.problem("db"), "db: exited with code 137")
            XCTAssertNil(states.problem("s3"), "no health check: running is enough")
            XCTAssertEqual(states.problem("web"), "web: no container (never created, or removed)")
            XCTAssertEqual(states.summary, "app running (starting), db exited, s3 running")
        }
    }

    func testAScaledServiceIsUpOnlyWhenEveryContainerIs() {
        let states = ComposeServiceStates(parsing: """
            {"Name":"p-worker-2","Service":"worker","State":"running","Health":"unhealthy"}
            {"Name":"p-worker-1","Service":"worker","State":"running","Health":"healthy"}
            """)
        XCTAssertEqual(states.problem("worker"), "worker: 1 of 2 containers: unhealthy")
    }
}
