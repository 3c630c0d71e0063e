import Foundation

/// `rto:`: the recovery time objective a runbook promises, and the step whose
/// success means the system is recovered. The engine measures the time from the
/// run's start until that step succeeds and records it against `target`.
public struct RTOObjective: Sendable {
    /// The objective, in seconds.
    public var target: Double
    /// The objective as written (`4h`), for messages.
    public var targetText: String
    /// The top-level step that ends the recovery; nil means the runbook's last step.
    public var until: Named?
    /// Where `rto:` was written.
    public var location: SourceLocation

    public init(target: Double, targetText: String, until: Named? = nil, location: SourceLocation) {
        self.target = target
        self.targetText = targetText
        self.until = until
        self.location = location
    }

    /// The step id that ends the recovery in `runbook`: `until`, or the last top-level step.
    public func untilStep(in runbook: Runbook) -> String? {
        until?.name ?? runbook.steps.last?.id
    }

    /// `4h, measured until step `health` succeeds`, for plans and docs.
    public func describe(in runbook: Runbook) -> String {
        guard let step = untilStep(in: runbook) else { return targetText }
        let which = until == nil ? "`\(step)` (the last step)" : "`\(step)`"
        return "\(targetText), measured from the start of the run until step \(which) succeeds"
    }
}
