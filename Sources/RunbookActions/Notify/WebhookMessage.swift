import Foundation

/// What a notification says, and its JSON in each `WebhookShape`.
struct WebhookMessage: Sendable {
    var title: String
    var text: String
    var severity: String
    var runbook: String?
    var runID: String
    var profile: String?
    var at: Date

    func body(_ shape: WebhookShape) throws -> Data {
        let object: Any
        switch shape {
        case .alertmanager: object = alertmanager
        case .slack: object = slack
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    var labels: [String: String] {
        var l = ["alertname": "RunbookFailed", "severity": severity, "run_id": runID]
        if let runbook { l["runbook"] = runbook }
        if let profile { l["profile"] = profile }
        return l
    }

    /// Alertmanager's webhook payload (version 4): what an Alertmanager receiver is sent, so
    /// anything written for Alertmanager webhooks (and Alertmanager-compatible relays) reads it.
    var alertmanager: [String: Any] {
        let annotations = ["summary": title, "description": text]
        let started = Self.time(at)
        let alert: [String: Any] = ["status": "firing", "labels": labels, "annotations": annotations,
                                    "startsAt": started, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
                                    "fingerprint": String(runID.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }, radix: 16)]
        return ["version": "4", "status": "firing", "receiver": "runbook", "groupKey": "{}:{run_id=\"\(runID)\"}",
                "truncatedAlerts": 0, "groupLabels": ["run_id": runID], "commonLabels": labels,
                "commonAnnotations": annotations, "externalURL": "", "alerts": [alert]]
    }

    /// A Slack-compatible incoming webhook's body (Slack, Mattermost, Rocket.Chat): `text`, in mrkdwn.
    var slack: [String: Any] {
        var lines = ["*\(title)*"]
        if !text.isEmpty { lines.append(text) }
        lines.append("severity: \(severity), run: `\(runID)`" + (profile.map { ", profile: \($0)" } ?? ""))
        return ["text": lines.joined(separator: "\n")]
    }

    static func time(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
