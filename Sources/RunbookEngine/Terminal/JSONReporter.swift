import Foundation
import RunbookCore

/// `--format json`: one JSON object per line on stdout, for machines. Every
/// object has `event` and `time`; the other keys depend on the event.
public final class JSONReporter: RunReporter, @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()

    public init(fd: Int32 = STDOUT_FILENO) { self.fd = fd }

    public func report(_ event: RunEvent) {
        var object: [String: Any] = ["event": event.name, "time": AuditLog.timestamp(Date())]
        switch event {
        case .runStarted(let id, let runbook, let resumed):
            object["run"] = id; object["runbook"] = runbook; object["resumed"] = resumed
        case .stepStarted(let path, let title):
            object["step"] = path; if let title { object["title"] = title }
        case .stepSkipped(let path, let reason):
            object["step"] = path; object["reason"] = reason
        case .output(let path, let line):
            object["step"] = path; object["line"] = line
        case .check(let path, let check, let phase, let passed, let message):
            object["step"] = path; object["check"] = check; object["phase"] = phase; object["passed"] = passed
            if let message { object["message"] = message }
        case .retrying(let path, let attempt, let of, let delay, let message):
            object["step"] = path; object["attempt"] = attempt; object["attempts"] = of; object["delay"] = delay
            if let message { object["message"] = message }
        case .stepFinished(let path, let state, let duration, let message):
            object["step"] = path; object["state"] = state.rawValue; object["duration"] = (duration * 1000).rounded() / 1000
            if let message { object["message"] = message }
        case .rollbackStarted(let path):
            object["step"] = path
        case .rollbackFinished(let path, let ok, let duration, let message):
            object["step"] = path; object["succeeded"] = ok; object["duration"] = (duration * 1000).rounded() / 1000
            if let message { object["message"] = message }
        case .notice(let text):
            object["message"] = text
        case .rto(.achieved(let r)):
            object["reached"] = true; object["until"] = r.until; object["seconds"] = r.seconds; object["met"] = r.met
            object["target"] = r.target; object["target_seconds"] = r.targetSeconds
        case .rto(.notReached(let until, let target, let targetSeconds, let reason)):
            object["reached"] = false; object["until"] = until; object["message"] = reason
            object["target"] = target; object["target_seconds"] = targetSeconds
        case .runFinished(let id, let status, let duration, let message):
            object["run"] = id; object["status"] = status.rawValue; object["duration"] = (duration * 1000).rounded() / 1000
            if let message { object["message"] = message }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        lock.lock()
        RawOutput.write(String(decoding: data, as: UTF8.self) + "\n", to: fd)
        lock.unlock()
    }
}
