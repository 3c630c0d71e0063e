import Foundation
import RunbookCore
@testable import RunbookActions
import XCTest

/// The two JSON shapes `notify.webhook` posts, and what of a URL it may show.
final class WebhookMessageTests: XCTestCase {
    let message = WebhookMessage(title: "runbook backup failed", text: "see runbook show r1", severity: "critical", runbook: "backup",
                                 runID: "r1", profile: "production", at: Date(timeIntervalSince1970: 1_764_900_000))

    func testSlackShapeIsOneTextField() throws {
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: message.body(.slack)) as? [String: String])
        XCTAssertEqual(body, ["text": "*runbook backup failed*\nsee runbook show r1\nseverity: critical, run: `r1`, profile: production"])
    }

    func testAlertmanagerShapeIsAVersion4WebhookPayload() throws {
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: message.body(.alertmanager)) as? [String: Any])
        XCTAssertEqual(body["version"] as? String, "4")
        XCTAssertEqual(body["status"] as? String, "firing")
        let alert = try XCTUnwrap((body["alerts"] as? [[String: Any]])?.first)
        XCTAssertEqual(alert["labels"] as? [String: String], ["alertname": "RunbookFailed", "severity": "critical", "run_id": "r1",
                                                             "runbook": "backup", "profile": "production"])
        XCTAssertEqual(alert["annotations"] as? [String: String], ["summary": "runbook backup failed", "description": "see runbook show r1"])
        XCTAssertEqual(alert["startsAt"] as? String, "2025-12-05T02:00:00Z")
    }

    func testASecretURLIsShownAsSchemeAndHostOnly() {
        let url = "https://hooks.example.com/services/T000/B000/XXXXSECRET"
        XCTAssertEqual(NotifyWebhook.display(.secret("hook"), resolved: url), "https://hooks.example.com/… (URL from secret hook)")
        XCTAssertEqual(NotifyWebhook.display(.secret("hook")), "URL from secret hook")
        XCTAssertEqual(NotifyWebhook.display(.literal("http://alerts.local:9093/hook?token=abc")), "http://alerts.local:9093/hook")
        XCTAssertEqual(NotifyWebhook.redact("POST \(url) failed: connection refused to /services/T000/B000/XXXXSECRET", url: url, secretName: "hook"),
                       "POST [secret:hook] failed: connection refused to [secret:hook]")
    }
}
