import Foundation
import XCTest

/// `notify.webhook` in a runbook's `on_failure`, through the built binary, against a real local
/// HTTP server that records what it receives: the two JSON shapes, a URL whose token is a
/// secret (never printed or recorded), a receiver answering 500 and one that never answers in
/// time. In every case the run keeps its own failure: exit 2 and the failed step's message.
final class NotifyWebhookTests: XCTestCase {
    var dir = ""
    static let token = "T0KEN-9f8e7d6c5b4a"
    static let tokenVariable = "RUNBOOK_TEST_WEBHOOK_URL"

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "runbook-notify-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        try """
            runbook: fails
            summary: A step that fails, and a notification on failure
            steps:
              - id: break
                title: Fail on purpose
                action: shell.run
                with:
                  command: echo disk full >&2; exit 3
            on_failure:
              - id: notify
                title: Notify
                action: notify.webhook
                with:
                  runbook: fails
                  title: "runbook fails failed (run ${run.id})"
                  text: "see runbook show ${run.id}"
            """.write(toFile: dir + "/runbooks/fails.yaml", atomically: true, encoding: .utf8)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A profile whose `notify` target posts to `server` with the token in the URL's path, from a secret.
    func profile(_ server: RecordingWebhookServer?, shape: String = "alertmanager", timeout: Int = 5, attempts: Int = 3) throws -> String {
        var text = "profile: notify-test\nsecrets:\n  hook: {env: \(Self.tokenVariable)}\ntargets:\n"
        if server != nil {
            text += "  notify:\n    notification: {url: \"${secrets.hook}\", shape: \(shape), timeout: \(timeout), attempts: \(attempts)}\n"
        } else {
            text += "  other:\n    http: {base_url: \"http://127.0.0.1:1\"}\n"
        }
        let path = dir + "/profile.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ server: RecordingWebhookServer?, profile: String) throws -> (output: OpsTools.Output, seconds: Double) {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env[Self.tokenVariable] = "http://127.0.0.1:\(server?.port ?? 1)/hooks/\(Self.token)"
        let started = Date()
        let out = try OpsTools.run([PITRRunbookCLI.path, "run", "fails", "--profile", profile, "--runbooks-dir", dir + "/runbooks",
                                    "--state-dir", dir + "/state", "--yes"], environment: env)
        return (out, Date().timeIntervalSince(started))
    }

    /// The run's own failure is what it reports, and the token is nowhere in output, journal or audit.
    func assertOriginalFailureKeptAndTokenHidden(_ out: OpsTools.Output, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(out.status, 2, out.stdout + out.stderr, file: file, line: line)
        XCTAssertTrue(out.stdout.contains("break: exit status 3") || out.stdout.contains("break:"), out.stdout, file: file, line: line)
        XCTAssertTrue(out.stdout.contains("disk full"), out.stdout, file: file, line: line)
        var records = out.stdout + out.stderr
        records += (try? String(contentsOfFile: dir + "/state/audit.jsonl", encoding: .utf8)) ?? ""
        for run in (try? FileManager.default.contentsOfDirectory(atPath: dir + "/state/runs")) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir + "/state/runs/" + run)) ?? [] {
                records += (try? String(contentsOfFile: dir + "/state/runs/\(run)/\(name)", encoding: .utf8)) ?? ""
            }
        }
        XCTAssertFalse(records.contains(Self.token), "the webhook URL's token leaked", file: file, line: line)
    }

    /// Every run's journal, where the on_failure step's message is recorded.
    func journals() -> String {
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/state/runs")) ?? []
        return runs.map { (try? String(contentsOfFile: dir + "/state/runs/\($0)/journal.json", encoding: .utf8)) ?? "" }.joined()
    }

    func testAlertmanagerShapedNotificationReachesTheReceiverAndTheRunStillFails() throws {
        let server = try RecordingWebhookServer(mode: .ok)
        defer { server.stop() }
        let (out, _) = try run(server, profile: try profile(server))
        try assertOriginalFailureKeptAndTokenHidden(out)
        XCTAssertEqual(server.requests.count, 1)
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.path, "/hooks/\(Self.token)")
        XCTAssertEqual(request.content_type, "application/json")
        let body = try request.json()
        XCTAssertEqual(body["version"] as? String, "4")
        XCTAssertEqual(body["status"] as? String, "firing")
        let alert = try XCTUnwrap((body["alerts"] as? [[String: Any]])?.first)
        let labels = try XCTUnwrap(alert["labels"] as? [String: String])
        XCTAssertEqual(labels["alertname"], "RunbookFailed")
        XCTAssertEqual(labels["runbook"], "fails")
        XCTAssertEqual(labels["severity"], "critical")
        XCTAssertEqual(labels["profile"], "notify-test")
        let runID = try XCTUnwrap(labels["run_id"])
        XCTAssertEqual((alert["annotations"] as? [String: String])?["summary"], "runbook fails failed (run \(runID))")
        XCTAssertTrue(journals().contains("notified notify (http://127.0.0.1:\(server.port)/… (URL from secret hook)): 200"), journals())
    }

    func testSlackShapedNotificationIsATextMessage() throws {
        let server = try RecordingWebhookServer(mode: .ok)
        defer { server.stop() }
        let (out, _) = try run(server, profile: try profile(server, shape: "slack"))
        try assertOriginalFailureKeptAndTokenHidden(out)
        let body = try XCTUnwrap(server.requests.first).json()
        XCTAssertEqual(Array(body.keys), ["text"])
        let text = try XCTUnwrap(body["text"] as? String)
        XCTAssertTrue(text.hasPrefix("*runbook fails failed (run "), text)
        XCTAssertTrue(text.contains("\nsee runbook show "), text)
        XCTAssertTrue(text.contains("severity: critical"), text)
    }

    func testAReceiverAnswering500IsTriedAttemptsTimesAndTheRunKeepsItsOwnFailure() throws {
        let server = try RecordingWebhookServer(mode: .failing)
        defer { server.stop() }
        let (out, _) = try run(server, profile: try profile(server, attempts: 3))
        try assertOriginalFailureKeptAndTokenHidden(out)
        XCTAssertEqual(server.requests.count, 3)
        XCTAssertTrue(out.stdout.contains("failed: answered 500"), out.stdout)
        // The run's last word is the step that failed, not the notification.
        let summary = try XCTUnwrap(out.stdout.split(separator: "\n").last { $0.contains("break") && $0.contains("resume") })
        XCTAssertFalse(summary.contains("notify"), String(summary))
    }

    func testAReceiverThatDoesNotAnswerInTimeIsGivenUpAfterTheTimeoutOfEachTry() throws {
        let server = try RecordingWebhookServer(mode: .slow)
        defer { server.stop() }
        let (out, seconds) = try run(server, profile: try profile(server, timeout: 1, attempts: 2))
        try assertOriginalFailureKeptAndTokenHidden(out)
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertTrue(out.stdout.contains("failed: no answer within 1s"), out.stdout)
        XCTAssertLessThan(seconds, 8, "two tries of 1 s and a 0.5 s pause, not the server's 3 s each")
    }

    func testWithoutANotifyTargetNothingIsSentAndTheStepSaysSo() throws {
        let (out, _) = try run(nil, profile: try profile(nil))
        XCTAssertEqual(out.status, 2, out.stdout + out.stderr)
        XCTAssertTrue(journals().contains(#"no notification target \"notify\" in the profile: nothing sent"#), journals())
    }
}
