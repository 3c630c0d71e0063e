import Foundation

/// A dry run: what every step would do, with params and loops resolved.
/// Built by `Planner` through the same binding code the interpreter uses.
public struct RunPlan: Sendable {
    public var runbook: String
    public var summary: String
    public var params: [(name: String, value: Value)]
    public var profile: String?
    public var steps: [PlannedStep]
    public var onFailure: [PlannedStep]
    /// The recovery time objective the run will be measured against, if the runbook declares one.
    public var rto: PlannedRTO? = nil
    /// The secrets the run will resolve before its first step (see `SecretNeeds`), sorted.
    public var secrets: [String] = []
}

/// `rto:` as a plan shows it: the objective and the step whose success ends the recovery.
public struct PlannedRTO: Sendable {
    public var target: Double
    public var targetText: String
    /// Nil only when the runbook has no steps at all.
    public var until: String?
    /// `4h, measured from the start of the run until step `health` succeeds`.
    public var description: String
}

public struct PlannedStep: Sendable {
    public var id: String
    public var title: String?
    public var action: String?
    public var destructive: Bool
    public var confirm: String?
    /// The `when:` text and whether it holds with these params; nil when the step has none.
    public var condition: (text: String, holds: Bool)?
    public var parallel: Int
    public var timeout: Double?
    public var retry: Step.Retry?
    public var onFailure: Step.FailurePolicy
    public var iterations: [PlannedIteration]
    public var manual: [String]
    /// Why this step could not be planned (e.g. a target missing from the profile).
    public var problems: [String]
}

/// One execution of a step: once, or once per `for_each` item.
public struct PlannedIteration: Sendable {
    /// `as` variable and its value, for loops.
    public var loopBinding: (name: String, value: String)?
    public var require: [PlannedCheck]
    public var operations: [PlannedOperation]
    public var verify: [PlannedCheck]
    public var rollback: [PlannedOperation]
    public var rollbackAction: String?
    /// The plan of the runbook this iteration's `runbook.run` action runs, with this iteration's values.
    public var child: RunPlan? = nil
    /// The plan of the runbook the rollback runs, when the rollback is a `runbook.run`.
    public var rollbackChild: RunPlan? = nil
}

public struct PlannedCheck: Sendable {
    public var check: String
    public var operations: [PlannedOperation]
}
