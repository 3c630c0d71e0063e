import Foundation
import RunbookCore

/// One line of the audit trail. Field names are the file format: keep them stable.
///
/// Optional fields are omitted when not relevant. `prev` and `hash` are filled in
/// by `AuditLog` when the event is appended.
public struct AuditEvent: Codable, Sendable {
    public var seq: Int = 0
    public var time: String = ""
    /// `run.start`, `run.end`, `run.resume`, `step.start`, `step.end`, `check`, `process`,
    /// `rollback.start`, `rollback.end`, `confirmation`, `manual.tick`, `lock.takeover`,
    /// `interrupt`, `audit.repaired`, `rto` (the RTO achieved: `duration`, `status` met/missed), `rto.withdrawn`,
    /// or an action's own event (`action.<name>`).
    public var event: String
    public var run: String
    public var runbook: String
    public var runbookDigest: String
    public var operatorName: String?
    public var user: String
    public var host: String
    public var step: String?
    public var action: String?
    /// For process events, the argv as run (secrets redacted); for run events, runbook's own argv.
    public var argv: [String]?
    public var exitStatus: Int32?
    public var status: String?
    public var duration: Double?
    public var outputBytes: Int?
    public var message: String?
    public var data: [String: PlainValue]?
    public var prev: String = ""

    public init(event: String, run: String, runbook: String, runbookDigest: String, operatorName: String?,
                user: String, host: String) {
        self.event = event
        self.run = run
        self.runbook = runbook
        self.runbookDigest = runbookDigest
        self.operatorName = operatorName
        self.user = user
        self.host = host
    }

    enum CodingKeys: String, CodingKey {
        case seq, time, event, run, runbook
        case runbookDigest = "runbook_digest"
        case operatorName = "operator"
        case user, host, step, action, argv
        case exitStatus = "exit_status"
        case status, duration
        case outputBytes = "output_bytes"
        case message, data, prev
    }

    /// A copy with every string redacted.
    public func redacted(by r: Redactor) -> AuditEvent {
        guard !r.isEmpty else { return self }
        var e = self
        e.argv = argv.map(r.redact)
        e.message = message.map(r.redact)
        e.step = step.map(r.redact)
        e.data = data?.mapValues { PlainValue($0.value.redacted(by: r)) }
        return e
    }
}
