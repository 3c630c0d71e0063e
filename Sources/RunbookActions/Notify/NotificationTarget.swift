import RunbookCore

extension TargetKindID {
    /// A notification receiver reached by an HTTP POST of JSON.
    public static let notification = TargetKindID("notification")
}

/// Target kind `notification`: a webhook receiver, where `notify.webhook` posts. The URL is a credential: one that carries
/// a token (a Slack incoming webhook's path, `?token=`) is written `${secrets.NAME}`, so it never
/// sits in the profile, and `notify.webhook` never prints more of it than scheme and host.
public struct NotificationTarget: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.notification, of: NotificationTarget.self, summary: "A notification receiver: Alertmanager-style or Slack-compatible webhook.", keys: [
        TargetKeySpec("url", .credential, required: true, "The URL posted to; write `${secrets.NAME}` when it carries a token (it is then never printed, only its scheme and host)."),
        TargetKeySpec("shape", .oneOf(WebhookShape.allCases.map(\.rawValue)), default: WebhookShape.alertmanager.rawValue,
                      "The JSON body: `alertmanager` (a list of alerts with `labels`, `annotations`, `startsAt`, as Alertmanager's API and receivers accept) or `slack` (`{\"text\": ...}`, for Slack, Mattermost, Rocket.Chat incoming webhooks)."),
        TargetKeySpec("timeout", .int(min: 1, max: 300), default: "10", "Seconds one POST may take."),
        TargetKeySpec("attempts", .int(min: 1, max: 10), default: "3", "Total tries; a try fails on a timeout, a connection error or a 5xx/429 answer."),
    ])

    public var url: Credential
    public var shape: WebhookShape
    public var timeoutSeconds: Int
    public var attempts: Int

    public init(url: Credential, shape: WebhookShape = .alertmanager, timeoutSeconds: Int = 10, attempts: Int = 3) {
        self.url = url
        self.shape = shape
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
    }

    public init(fields: TargetFields) {
        url = fields.credential("url") ?? .literal("")
        shape = WebhookShape(rawValue: fields.string("shape") ?? "") ?? .alertmanager
        timeoutSeconds = fields.int("timeout") ?? 10
        attempts = fields.int("attempts") ?? 3
    }

    public var secretNames: [String] {
        if case .secret(let name) = url { return [name] }
        return []
    }
}

/// The JSON shapes `notify.webhook` can post.
public enum WebhookShape: String, Sendable, Hashable, CaseIterable {
    case alertmanager, slack
}
