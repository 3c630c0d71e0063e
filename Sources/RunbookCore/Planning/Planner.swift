import Foundation

/// Builds a `RunPlan`. Pure: it reads the runbook, params and profile and asks each
/// action for its `plan`; it never runs anything or changes any state.
public struct Planner: Sendable {
    public var catalog: ActionCatalog
    public var profile: Profile?
    public var stateDir: String
    /// Finds another runbook by name, for `runbook.run` steps.
    public var runbookNamed: @Sendable (String) -> Runbook?

    public static let nestedRunAction = "runbook.run"
    static let maxNesting = 8

    public init(catalog: ActionCatalog, profile: Profile?, stateDir: String,
                runbookNamed: @escaping @Sendable (String) -> Runbook? = { _ in nil }) {
        self.catalog = catalog
        self.profile = profile
        self.stateDir = stateDir
        self.runbookNamed = runbookNamed
    }

    public func plan(_ runbook: Runbook, params: [String: Value], runID: String = "<run-id>", startedAt: Date = Date()) -> RunPlan {
        var plan = plan(runbook, params: params, runID: runID, startedAt: startedAt, depth: 0)
        plan.secrets = SecretNeeds(catalog: catalog, profile: profile, runbookNamed: runbookNamed).names(for: runbook, params: params)
        return plan
    }

    func plan(_ runbook: Runbook, params: [String: Value], runID: String, startedAt: Date, depth: Int) -> RunPlan {
        let secretNames = Set(runbook.secrets.map(\.name) + (profile?.secrets.map(\.name) ?? []))
        let scope = Scope(params: params, secretNames: secretNames, runID: runID, startedAt: startedAt,
                          stateDir: stateDir, placeholdersForMissingOutputs: true)
        let steps = runbook.steps.map { planStep($0, scope: scope, depth: depth) }
        let onFailure = runbook.onFailure.map { planStep($0, scope: scope, depth: depth) }
        let orderedParams = runbook.params.map { ($0.name, params[$0.name] ?? .null) }
        var plan = RunPlan(runbook: runbook.name, summary: runbook.summary, params: orderedParams, profile: profile?.name,
                           steps: steps, onFailure: onFailure)
        plan.rto = runbook.rto.map {
            PlannedRTO(target: $0.target, targetText: $0.targetText, until: $0.untilStep(in: runbook), description: $0.describe(in: runbook))
        }
        return plan
    }

    func planStep(_ step: Step, scope: Scope, depth: Int) -> PlannedStep {
        let evaluator = Evaluator(scope: scope)
        let binder = CallBinder(catalog: catalog, profile: profile)
        var planned = PlannedStep(id: step.id, title: step.title(in: scope), action: step.action?.name, destructive: step.isDestructive,
                                  confirm: nil, condition: nil, parallel: step.parallel, timeout: step.timeout,
                                  retry: step.retry, onFailure: step.onFailure, iterations: [], manual: [], child: nil, problems: [])
        if let action = step.action, let def = catalog.definition(action.name), def.spec.destructive {
            planned.destructive = true
        }
        func attempt<T>(_ body: () throws -> T) -> T? {
            do { return try body() } catch { planned.problems.append("\(error)"); return nil }
        }
        if let confirm = step.confirm { planned.confirm = attempt { try evaluator.string(confirm) } ?? confirm.text }
        if let when = step.when, let holds = attempt({ try evaluator.condition(when) }) {
            planned.condition = (when.text, holds)
        }
        planned.manual = step.manual.map { item in attempt { try evaluator.string(item) } ?? item.text }

        var loopValues: [Value?] = [nil]
        if let forEach = step.forEach, let variable = step.loopVariable {
            if let v = attempt({ try evaluator.value(forEach) }) {
                loopValues = (v.listValue ?? [v]).map { $0 }
                if loopValues.isEmpty { planned.problems.append("for_each is empty: the step would run zero times") }
            }
            _ = variable
        }
        for item in loopValues {
            var iterationScope = scope
            var binding: (String, String)?
            if let item, let variable = step.loopVariable {
                iterationScope = scope.with(loopVariable: variable, value: item)
                binding = (variable, item.description)
            }
            let iterEval = Evaluator(scope: iterationScope)
            var iteration = PlannedIteration(loopBinding: binding, require: [], operations: [], verify: [], rollback: [], rollbackAction: nil)
            iteration.require = step.require.map { planCheck($0, step: step, evaluator: iterEval, binder: binder, problems: &planned.problems) }
            if let action = step.action {
                if action.name == Self.nestedRunAction {
                    planned.child = attempt { try planNested(action, step: step, evaluator: iterEval, depth: depth) } ?? nil
                } else if let ops = attempt({ () throws -> [PlannedOperation] in
                    let (def, call) = try binder.bind(action, stepID: step.id, evaluator: iterEval)
                    return try planOrDefer(def, call, scope: iterationScope)
                }) {
                    iteration.operations = ops
                }
            }
            iteration.verify = step.verify.map { planCheck($0, step: step, evaluator: iterEval, binder: binder, problems: &planned.problems) }
            if let rollback = step.rollback {
                iteration.rollbackAction = rollback.name
                iteration.rollback = attempt { () throws -> [PlannedOperation] in
                    let (def, call) = try binder.bind(rollback, stepID: step.id, evaluator: iterEval)
                    return try planOrDefer(def, call, scope: iterationScope)
                } ?? []
            }
            planned.iterations.append(iteration)
        }
        return planned
    }

    func planCheck(_ check: ActionCall, step: Step, evaluator: Evaluator, binder: CallBinder, problems: inout [String]) -> PlannedCheck {
        do {
            let (def, call) = try binder.bind(check, stepID: step.id, evaluator: evaluator)
            return PlannedCheck(check: check.name, operations: try planOrDefer(def, call, scope: evaluator.scope))
        } catch {
            problems.append("\(error)")
            return PlannedCheck(check: check.name, operations: [])
        }
    }

    func planNested(_ call: ActionCall, step: Step, evaluator: Evaluator, depth: Int) throws -> RunPlan? {
        guard depth < Self.maxNesting else {
            throw EvaluationError("runbook.run nests deeper than \(Self.maxNesting) levels (a cycle?)", at: call.location)
        }
        guard let nameNode = call.input("runbook") else { throw EvaluationError("runbook.run needs input \"runbook\"", at: call.location) }
        let name = try evaluator.value(nameNode).description
        guard let child = runbookNamed(name) else { throw EvaluationError("no runbook \"\(name)\"", at: nameNode.location) }
        var given: [String: String] = [:]
        if let paramsNode = call.input("params"), case .map(let m) = try evaluator.value(paramsNode) {
            for (k, v) in m {
                if case .list(let items) = v { given[k] = items.map(\.description).joined(separator: ",") } else { given[k] = v.description }
            }
        }
        let (values, diags) = ParamBinder.bind(child, given: given)
        if let first = diags.first(where: { $0.severity == .error }) {
            throw EvaluationError("runbook \(name): \(first.message)", at: call.location)
        }
        return plan(child, params: values, runID: evaluator.scope.runID, startedAt: evaluator.scope.startedAt, depth: depth + 1)
    }

    /// Asks the action for its plan. When the action needs a value only an earlier step's
    /// run produces (a `<steps.x.outputs.y>` placeholder) to say more, the plan says so
    /// instead of reporting a problem: the value is checked when the run gets there.
    func planOrDefer(_ definition: any ActionDefinition, _ call: ResolvedCall, scope: Scope) throws -> [PlannedOperation] {
        do {
            return try definition.plan(call, in: context(scope: scope))
        } catch {
            let deferred = call.inputs.keys.sorted().filter { key in
                guard case .string(let s)? = call.inputs[key] else { return false }
                return s.hasPrefix("<steps.") && s.hasSuffix(">")
            }
            guard !deferred.isEmpty else { throw error }
            let shown = deferred.map { "\($0) = \(call.inputs[$0]!.description)" }.joined(separator: ", ")
            return [.builtin("\(call.spec.name) with \(shown), known once the run gets here: \(call.spec.summary)")]
        }
    }

    func context(scope: Scope) -> PlanContext {
        PlanContext(profile: profile, runID: scope.runID, stateDir: stateDir)
    }
}
