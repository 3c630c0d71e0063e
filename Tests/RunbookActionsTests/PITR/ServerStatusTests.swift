import Foundation
import XCTest
import RunbookCore
import RunbookEngine
@testable import RunbookActions

/// `pg_ctl status` while a postmaster is starting: its pid file exists before it is written.
final class ServerStatusTests: XCTestCase {
    let fixture = PITRFixture()
    static let emptyPIDFile = "pg_ctl: the PID file \"/srv/pg/data/postmaster.pid\" is empty\n"

    /// Answers `pg_ctl status` from a list, one answer per call; the last one repeats.
    final class StatusAnswers: ProcessRunning, @unchecked Sendable {
        let lock = NSLock()
        var answers: [ProcessResult]
        var calls = 0
        init(_ answers: [ProcessResult]) { self.answers = answers }
        func run(_ command: CommandLine, environment: [String: String], timeout: Double?,
                 onOutput: (@Sendable (String) -> Void)?) async throws -> ProcessResult {
            lock.withLock {
                calls += 1
                return answers.count > 1 ? answers.removeFirst() : answers[0]
            }
        }
    }

    func isRunning(_ processes: StatusAnswers) async throws -> Bool {
        let run = PITRRun(context: RunContext(plan: fixture.context, processes: processes, secrets: [:]))
        let server = try PITRServer(fixture.call(Recover(), [:]), fixture.context)
        return try await run.isRunning(server, as: "postgres")
    }

    /// The CI failure this guards: `recover` polled `pg_ctl status` in that window and failed the PITR.
    func testAPIDFileFoundEmptyWhileTheServerStartsIsAskedAgain() async throws {
        let answers = StatusAnswers([
            ProcessResult(status: .exited(1), stderrTail: Self.emptyPIDFile),
            ProcessResult(status: .exited(1), stderrTail: Self.emptyPIDFile),
            ProcessResult(status: .exited(0), stdout: Data("pg_ctl: server is running (PID: 4242)\n".utf8)),
        ])
        let running = try await isRunning(answers)
        XCTAssertTrue(running)
        XCTAssertEqual(answers.calls, 3)
    }

    func testAPIDFileThatStaysEmptyIsStillAnError() async throws {
        let answers = StatusAnswers([ProcessResult(status: .exited(1), stderrTail: Self.emptyPIDFile)])
        do {
            _ = try await isRunning(answers)
            XCTFail("an empty pid file that stays empty was taken for an answer")
        } catch let failure as PITRFailure {
            XCTAssertTrue(failure.description.contains("is empty"), failure.description)
            XCTAssertEqual(answers.calls, 21)
        }
    }

    func testNotRunningIsAnsweredAtOnce() async throws {
        let answers = StatusAnswers([ProcessResult(status: .exited(3), stdout: Data("pg_ctl: no server running\n".utf8))])
        let running = try await isRunning(answers)
        XCTAssertFalse(running)
        XCTAssertEqual(answers.calls, 1)
    }
}
