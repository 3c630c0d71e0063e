import Foundation
import RunbookCore
import RunbookEngine

/// `runbook.run`: runs another runbook of the same directory inside this run.
///
/// The planner expands the called runbook's plan under the calling step, once per loop
/// item, with the values each call passes (`Planner.planNested`). At run time the engine
/// runs the child (`RunContext.nested`): same audit trail and journal (records named
/// `<step>/<child step>`), same rollback saga, the child's locks taken too. The child's
/// failure is this step's failure; its declared `outputs:` are this step's outputs.
public struct RunbookRun: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        RunbookRunInputs.action,
        summary: "Run another runbook (from the same directory) as part of this run.",
        inputs: [
            InputSpec(RunbookRunInputs.runbook, .string, required: true, "Name of the runbook to run."),
            InputSpec(RunbookRunInputs.params, .map(.value), "Params for it, by name, as values of the types it declares (lists as YAML lists)."),
        ]
    )

    func childParams(_ call: ResolvedCall) throws -> [String: Value] {
        guard let v = call.inputs[RunbookRunInputs.params], v != .null else { return [:] }
        guard case .map(let m) = v else { throw ActionInputError.wrongType(RunbookRunInputs.params, expected: "a mapping of param: value") }
        for (k, value) in m {
            if case .secret = value { throw ActionInputError.invalid(RunbookRunInputs.params, "param \"\(k)\" cannot be a secret; the child declares its own secrets") }
        }
        return m
    }

    /// One line; the planner puts the called runbook's own plan under it.
    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let name = try call.string(RunbookRunInputs.runbook)
        let params = try childParams(call)
        let rendered = params.keys.sorted().map { "\($0)=\(params[$0] ?? .null)" }.joined(separator: " ")
        return [.builtin("run runbook \(name)\(rendered.isEmpty ? "" : " with \(rendered)")")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let name = try call.string(RunbookRunInputs.runbook)
        guard let nested = context.nested else { return .failed("runbook.run cannot run here (no engine context)") }
        return try await nested.runRunbook(named: name, params: try childParams(call), from: context)
    }
}
