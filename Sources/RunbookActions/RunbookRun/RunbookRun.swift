import Foundation
import RunbookCore
import RunbookEngine

/// `runbook.run`: runs another runbook of the same directory inside this run.
///
/// Its plan expands the child's steps (recursively), prefixed with the calling
/// step's id (`restore/<child step>`), so reviewing the parent's plan shows every
/// command. At run time the engine runs the child (`RunContext.nested`): same
/// audit trail and journal (records named `<step>/<child step>`), same rollback
/// saga, the child's locks taken too. The child's failure is this step's failure.
public struct RunbookRun: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        NestedRunbooks.actionName,
        summary: "Run another runbook (from the same directory) as part of this run.",
        inputs: [
            InputSpec(NestedRunbooks.runbookInput, .string, required: true, "Name of the runbook to run."),
            InputSpec(NestedRunbooks.paramsInput, .map(.string), "Params for it, by name (lists as YAML lists)."),
        ]
    )

    func childParams(_ call: ResolvedCall) throws -> [String: Value] {
        guard let v = call.inputs[NestedRunbooks.paramsInput], v != .null else { return [:] }
        guard case .map(let m) = v else { throw ActionInputError.wrongType(NestedRunbooks.paramsInput, expected: "a mapping of param: value") }
        for (k, value) in m {
            if case .secret = value { throw ActionInputError.invalid(NestedRunbooks.paramsInput, "param \"\(k)\" cannot be a secret; the child declares its own secrets") }
        }
        return m
    }

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let name = try call.string(NestedRunbooks.runbookInput)
        let params = try childParams(call)
        guard call.stepID.split(separator: "/").count < NestedRunbooks.maxDepth else {
            throw ActionInputError.invalid(NestedRunbooks.runbookInput, "runbook.run nested more than \(NestedRunbooks.maxDepth) deep; is there a cycle?")
        }
        guard let child = context.runbooks[name] else {
            throw ActionInputError.invalid(NestedRunbooks.runbookInput,
                                           "no runbook \"\(name)\"\(Suggestions.didYouMean(name, in: context.runbooks.keys.sorted()))")
        }
        let rendered = params.keys.sorted().map { "\($0)=\(params[$0] ?? .null)" }.joined(separator: " ")
        var ops: [PlannedOperation] = [.builtin("run runbook \(name)\(rendered.isEmpty ? "" : " with \(rendered)")")]
        ops += try ChildPlanner(context: context).plan(child, params: params, prefix: call.stepID)
        return ops
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let name = try call.string(NestedRunbooks.runbookInput)
        guard let nested = context.nested else { return .failed("runbook.run cannot run here (no engine context)") }
        return try await nested.runRunbook(named: name, params: try childParams(call), from: context)
    }
}

/// Plans a child runbook's steps with the same binder a run uses.
struct ChildPlanner {
    let context: PlanContext

    func plan(_ child: Runbook, params: [String: Value], prefix: String) throws -> [PlannedOperation] {
        let given = params.mapValues { v -> String in
            if case .list(let items) = v { return items.map(\.description).joined(separator: ",") }
            return v.description
        }
        let (bound, diagnostics) = ParamBinder.bind(child, given: given)
        if diagnostics.hasErrors {
            throw ActionInputError.invalid(NestedRunbooks.paramsInput,
                                           "runbook \(child.name): " + diagnostics.map(\.message).joined(separator: "; "))
        }
        let secretNames = Set(child.secrets.map(\.name) + (context.profile?.secrets.map(\.name) ?? []))
        let scope = Scope(params: bound, secretNames: secretNames, runID: context.runID, startedAt: Date(),
                          stateDir: context.stateDir, placeholdersForMissingOutputs: true)
        let binder = CallBinder(catalog: Registry.catalog, profile: context.profile)
        var ops: [PlannedOperation] = []
        for step in child.steps {
            let path = "\(prefix)/\(step.id)"
            let evaluator = Evaluator(scope: scope)
            if let when = step.when, let holds = try? evaluator.condition(when), !holds {
                ops.append(.builtin("\(path): skipped (when: \(when.text) is false)"))
                continue
            }
            var scopes: [(String, Scope)] = [(path, scope)]
            if let node = step.forEach, let variable = step.loopVariable {
                let items = (try evaluator.value(node)).listValue ?? []
                scopes = items.map { ("\(path)[\($0)]", scope.with(loopVariable: variable, value: $0)) }
            }
            for (itemPath, itemScope) in scopes {
                if let confirm = step.confirm { ops.append(.builtin("\(itemPath): asks the operator to confirm: \((try? Evaluator(scope: itemScope).string(confirm)) ?? confirm.text)")) }
                for item in step.manual { ops.append(.builtin("\(itemPath): manual: \(item.text)")) }
                guard let action = step.action else { continue }
                let (definition, resolved) = try binder.bind(action, stepID: itemPath, evaluator: Evaluator(scope: itemScope))
                ops.append(.builtin("\(itemPath): \(action.name)"))
                ops += try definition.plan(resolved, in: context)
            }
        }
        return ops
    }
}
