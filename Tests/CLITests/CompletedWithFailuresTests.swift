import Foundation
import XCTest

/// `on_failure: continue` lets a loop go on past a failed item, but the run must not pass for a
/// success: it exits 7 ("completed with failures") and names each failed item; `ignore`
/// declares the failure acceptable and the run exits 0. Through the built binary.
final class CompletedWithFailuresTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "failures-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func run(policy: String) throws -> RunbookBinary.Output {
        try """
        runbook: hosts
        summary: Check three hosts, one of which fails
        steps:
          - id: check
            for_each: [alpha, bravo, charlie]
            as: host
            on_failure: \(policy)
            action: shell.run
            with: {command: "test ${host} != bravo"}
          - id: after
            action: shell.run
            with: {command: "true"}
        """.write(toFile: dir + "/runbooks/hosts.yaml", atomically: true, encoding: .utf8)
        return try RunbookBinary.run(["run", "hosts", "--yes", "--state-dir", dir + "/state"], cwd: dir)
    }

    func testContinuePastAFailedItemExitsSevenNamingIt() throws {
        let out = try run(policy: "continue")
        XCTAssertEqual(out.status, 7, out.stdout + out.stderr)
        XCTAssertTrue(out.stdout.contains("completed with failures"), out.stdout)
        XCTAssertTrue(out.stdout.contains("1 failed and the run went on (on_failure: continue): check[bravo]"), out.stdout)
        XCTAssertTrue(out.stdout.contains("after"), "the step after the loop ran: \(out.stdout)")
    }

    func testIgnoreLetsTheRunSucceed() throws {
        let out = try run(policy: "ignore")
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        XCTAssertTrue(out.stdout.contains("succeeded"), out.stdout)
    }
}
