import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

final class ShellRunTests: XCTestCase {
    let action = ShellRun()

    func call(_ inputs: [String: Value]) -> ResolvedCall {
        ResolvedCall(spec: action.spec, stepID: "s", inputs: inputs)
    }

    func context(secrets: [String: String] = [:]) -> RunContext {
        RunContext(plan: PlanContext(profile: nil, runID: "r", stateDir: "/tmp"), processes: ProcessRunner(gracePeriod: 0.2),
                   secrets: secrets)
    }

    func testPlanSaysItUsesAShellAndKeepsSecretsSymbolic() throws {
        let ops = try action.plan(call(["command": .string("pg_isready && echo ok"),
                                        "env": .map(["PGPASSWORD": .secret("db_pw"), "MODE": .string("fast")]),
                                        "workdir": .string("/srv")]),
                                  in: PlanContext(profile: nil, runID: "r", stateDir: "/tmp"))
        guard case .command(let cmd) = try XCTUnwrap(ops.first) else { return XCTFail("not a command") }
        XCTAssertEqual(cmd.argv, ["/bin/sh", "-c", "pg_isready && echo ok"])
        XCTAssertEqual(cmd.environment["PGPASSWORD"], .secret("db_pw"))
        XCTAssertEqual(cmd.environment["MODE"], .literal("fast"))
        XCTAssertEqual(cmd.workingDirectory, "/srv")
        XCTAssertTrue(cmd.displayString.hasPrefix("/bin/sh -c "))
    }

    func testRunGivesTrimmedStdoutAndExitCode() async throws {
        let r = try await action.run(call(["command": .string("printf '  hello \\n\\n'")]), in: context())
        XCTAssertTrue(r.succeeded)
        XCTAssertEqual(r.outputs["stdout"], .string("hello"))
        XCTAssertEqual(r.outputs["exit_code"], .int(0))
    }

    func testFailureIsAResultWithTheLastStderrLine() async throws {
        let r = try await action.run(call(["command": .string("echo first >&2; echo 'real reason' >&2; exit 4")]), in: context())
        XCTAssertFalse(r.succeeded)
        XCTAssertEqual(r.exitStatus, 4)
        XCTAssertEqual(r.outputs["exit_code"], .int(4))
        XCTAssertEqual(r.message, "exit 4: real reason")
    }

    func testSecretsReachTheScriptThroughTheEnvironment() async throws {
        let r = try await action.run(call(["command": .string("test \"$PW\" = 'v@lue' && echo matched"),
                                           "env": .map(["PW": .secret("pw")])]),
                                     in: context(secrets: ["pw": "v@lue"]))
        XCTAssertEqual(r.outputs["stdout"], .string("matched"))
    }

    func testWorkdirIsUsed() async throws {
        let r = try await action.run(call(["command": .string("pwd"), "workdir": .string("/usr")]), in: context())
        XCTAssertEqual(r.outputs["stdout"], .string("/usr"))
    }

    func testEmptyCommandIsRefused() {
        XCTAssertThrowsError(try action.plan(call(["command": .string("  ")]), in: PlanContext(profile: nil, runID: "r", stateDir: "/tmp")))
    }
}
