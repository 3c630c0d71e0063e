import AsyncHTTPClient
import Foundation
import NIOCore
import RunbookCore
import RunbookEngine

/// Action `notify.webhook`: posts a message to the profile's notification target named by `channel`.
///
/// A notification is optional by design, so the shipped runbooks can notify in `on_failure`
/// without every profile having a receiver: when the profile has no target of that name the
/// step says so and succeeds, sending nothing. Its own failure (timeouts and 5xx after every
/// try) fails only this step: an `on_failure` step never changes the run's outcome, so the
/// failure being reported stays the run's result and exit code.
struct NotifyWebhook: ExecutableAction {
    let spec = ActionSpec("notify.webhook", summary: "Post a notification (Alertmanager-style or Slack-compatible JSON) to the profile's notification target; nothing when the profile has none.", inputs: [
        InputSpec("channel", .string, default: .string("notify"), "The name of a `notification` target in the profile. When the profile has no target of this name, nothing is sent and the step succeeds: that is how a profile turns notifications on."),
        InputSpec("title", .string, required: true, "One line: the alert's summary, or the Slack message's bold first line."),
        InputSpec("text", .string, default: .string(""), "More detail: the alert's description."),
        InputSpec("severity", .string, default: .string("critical"), "The `severity` label."),
        InputSpec("runbook", .string, "The runbook the message is about: the `runbook` label."),
    ])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let channel = try call.string("channel")
        switch try Self.target(channel, in: context) {
        case .none:
            return [.builtin("no notification target \"\(channel)\" in the profile: nothing is sent")]
        case .some(let target):
            return [.builtin("POST \(target.shape.rawValue) JSON \"\(try call.string("title"))\" to target \(channel) (\(Self.display(target.url))), \(target.attempts) tries of at most \(target.timeoutSeconds)s")]
        }
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let channel = try call.string("channel")
        guard let target = try Self.target(channel, in: context.plan) else {
            return .ok("no notification target \"\(channel)\" in the profile: nothing sent")
        }
        let secretName: String?
        let url: String
        switch Self.url(target.url, profile: context.plan.profile, secrets: context.secrets) {
        case .success(let resolved): (url, secretName) = resolved
        case .failure(let why): return .failed("notification to \(channel) not sent: \(why.message)")
        }
        let message = WebhookMessage(title: try call.string("title"), text: try call.string("text"), severity: try call.string("severity"),
                                     runbook: call.optionalString("runbook"), runID: context.plan.runID,
                                     profile: context.plan.profile?.name, at: Date())
        let body = try message.body(target.shape)
        let shown = Self.display(target.url, resolved: url)
        var last = ""
        for attempt in 1...max(1, target.attempts) {
            if attempt > 1 { try await Task.sleep(nanoseconds: UInt64(attempt - 1) * 500_000_000) }
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "runbook")
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(target.timeoutSeconds)))
                _ = try? await response.body.collect(upTo: 1 << 16)
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    return .ok("notified \(channel) (\(shown)): \(status)" + (attempt > 1 ? " on try \(attempt)" : ""))
                }
                last = "answered \(status)"
                if status < 500 && status != 429 { break }
            } catch {
                last = Self.redact("\(error)", url: url, secretName: secretName)
                if let e = error as? HTTPClientError, e == .deadlineExceeded { last = "no answer within \(target.timeoutSeconds)s" }
            }
            context.log("notify \(channel): try \(attempt) of \(target.attempts): \(last)")
        }
        return .failed("notification to \(channel) (\(shown)) failed: \(last)")
    }

    /// The profile's webhook target of that name; nil when the profile has none of that name.
    static func target(_ name: String, in context: PlanContext) throws -> NotificationTarget? {
        guard let decl = context.profile?.target(name) else { return nil }
        guard let target = decl.binding.configuration(as: NotificationTarget.self) else {
            throw ActionInputError.invalid("channel", "target \"\(name)\" is a \(decl.binding.kind.rawValue) target; notify.webhook needs a notification target")
        }
        return target
    }

    struct URLUnavailable: Error { var message: String }

    /// The URL to post to, and the secret it came from. Targets that only `notify.webhook` names are
    /// not among the secrets a run resolves before its first step, so the secret is read here.
    static func url(_ credential: Credential, profile: Profile?, secrets: [String: String]) -> Result<(String, String?), URLUnavailable> {
        switch credential {
        case .literal(let url): return .success((url, nil))
        case .secret(let name):
            if let value = secrets[name] { return .success((value, name)) }
            guard let decl = profile?.secrets.first(where: { $0.name == name }) else {
                return .failure(URLUnavailable(message: "secret \"\(name)\" is not declared"))
            }
            switch SecretResolver.resolve([decl]) {
            case .success(let values): return values[name].map { .success(($0, name)) } ?? .failure(URLUnavailable(message: "secret \"\(name)\" is empty"))
            case .failure(let failures): return .failure(URLUnavailable(message: failures.items.map(\.description).joined(separator: "; ")))
            }
        }
    }

    /// What may be shown of a URL: all of a literal one without its query, only scheme and host of a secret one.
    static func display(_ credential: Credential, resolved: String? = nil) -> String {
        switch credential {
        case .literal(let url): return url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        case .secret(let name):
            guard let resolved, let parts = URLComponents(string: resolved), let scheme = parts.scheme, let host = parts.host else {
                return "URL from secret \(name)"
            }
            return "\(scheme)://\(host)\(parts.port.map { ":\($0)" } ?? "")/… (URL from secret \(name))"
        }
    }

    static func redact(_ text: String, url: String, secretName: String?) -> String {
        guard let secretName else { return text }
        var out = text.replacingOccurrences(of: url, with: Redactor.placeholder(secretName))
        if let path = URLComponents(string: url)?.percentEncodedPath, path.count > 1 {
            out = out.replacingOccurrences(of: path, with: Redactor.placeholder(secretName))
        }
        return out
    }
}
