import Foundation

/// The recovery time a run achieved against its runbook's `rto:` objective, as
/// the journal keeps it (`runbook show`, `runbook history`).
public struct RTORecord: Codable, Sendable, Hashable {
    /// The step whose success ended the recovery.
    public var until: String
    /// Seconds from the run's start (its first session's, when resumed) until `until` succeeded.
    public var seconds: Double
    /// The objective as written (`4h`).
    public var target: String
    public var targetSeconds: Double
    /// `seconds <= targetSeconds`.
    public var met: Bool
    /// When `until` succeeded.
    public var at: Date

    public init(until: String, seconds: Double, target: String, targetSeconds: Double, at: Date) {
        self.until = until
        self.seconds = seconds
        self.target = target
        self.targetSeconds = targetSeconds
        self.met = seconds <= targetSeconds
        self.at = at
    }
}

/// What the end of a run says about its recovery time objective.
public enum RTOOutcome: Sendable {
    case achieved(RTORecord)
    /// No RTO is claimed: `reason` says why (e.g. "run failed before step health").
    case notReached(until: String, target: String, targetSeconds: Double, reason: String)
}

extension RTOOutcome {
    /// `RTO achieved: 14.5s (objective 4h: met)` or `RTO: not reached (run failed before step health)`.
    public var text: String {
        switch self {
        case .achieved(let r):
            return "RTO achieved: \(Self.seconds(r.seconds)) (objective \(r.target): \(r.met ? "met" : "missed"))"
        case .notReached(_, _, _, let reason):
            return "RTO: not reached (\(reason))"
        }
    }

    /// Seconds with one decimal, whatever the size: the figure people compare and scripts read.
    static func seconds(_ s: Double) -> String { String(format: "%.1fs", s) }
}
