import Foundation

/// Builds a `RunPlan`. Pure: it reads the runbook, params and profile and asks each
/// action for its `plan`; it never runs anything or changes any state.
public struct Planner: Sendable {
    public var catalog: ActionCatalog
    public var profile: Profile?
    public var stateDir: String
    /// The runbooks `runbook.run` calls may reach; its root is the runbook usually planned.
    public var graph: RunbookGraph?

    public static let nestedRunAction = RunbookRunInputs.action

    public init(catalog: ActionCatalog, profile: Profile?, stateDir: String, graph: RunbookGraph? = nil) {
        self.catalog = catalog
        self.profile = profile
        self.stateDir = stateDir
        self.graph = graph
    }

    public func plan(_ runbook: Runbook, params: [String: Value], runID: String = "<run-id>", startedAt: Date = Date()) -> RunPlan {
        var plan = plan(runbook, params: params, runID: runID, startedAt: startedAt, callers: [])
        let graph = self.graph
        plan.secrets = SecretNeeds(catalog: catalog, profile: profile, runbookNamed: { graph?.callees[$0] }).names(for: runbook, params: params)
        return plan
    }

    /// - Parameter callers: the runbooks whose calls led here, outermost first (to stop at a cycle).
    func plan(_ runbook: Runbook, params: [String: Value], runID: String, startedAt: Date, callers: [String]) -> RunPlan {
        let secretNames = Set(runbook.secrets.map(\.name) + (profile?.secrets.map(\.name) ?? []))
        var scope = Scope(params: params, secretNames: secretNames, runID: runID, startedAt: startedAt,
                          stateDir: stateDir, placeholdersForMissingOutputs: true)
        scope.groupMembers = profile?.groupMembers ?? [:]
        let chain = callers + [runbook.name]
        var steps: [PlannedStep] = []
        var predicted: Set<String> = []
        for step in runbook.steps {
            var planned = planStep(step, scope: scope, callers: chain)
            let uses = predicted.filter { id in step.action.map { Self.references($0, outputsOf: id) } ?? false }.sorted()
            if !uses.isEmpty, !planned.iterations.isEmpty {
                planned.iterations[0].operations.insert(.builtin("uses the outputs of \(uses.joined(separator: ", ")) as they would be now; the run uses what \(uses.count == 1 ? "that step finds" : "those steps find") when it gets there"), at: 0)
            }
            steps.append(planned)
            if let outputs = plannedOutputs(step, scope: scope), !outputs.isEmpty {
                scope.stepOutputs[step.id] = outputs
                predicted.insert(step.id)
            }
        }
        let onFailure = runbook.onFailure.map { planStep($0, scope: scope, callers: chain) }
        let orderedParams = runbook.params.map { ($0.name, params[$0.name] ?? .null) }
        var plan = RunPlan(runbook: runbook.name, summary: runbook.summary, params: orderedParams, profile: profile?.name,
                           steps: steps, onFailure: onFailure)
        plan.rto = runbook.rto.map {
            PlannedRTO(target: $0.target, targetText: $0.targetText, until: $0.untilStep(in: runbook), description: $0.describe(in: runbook))
        }
        return plan
    }

    func planStep(_ step: Step, scope: Scope, callers: [String]) -> PlannedStep {
        let evaluator = Evaluator(scope: scope)
        let binder = CallBinder(catalog: catalog, profile: profile)
        var planned = PlannedStep(id: step.id, title: step.title(in: scope), action: step.action?.name, destructive: step.isDestructive,
                                  confirm: nil, condition: nil, parallel: step.parallel, timeout: step.timeout,
                                  retry: step.retry, onFailure: step.onFailure, iterations: [], manual: [], problems: [])
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
                    iteration.child = attempt { try planNested(action, evaluator: iterEval, callers: callers) }
                } else if let ops = attempt({ () throws -> [PlannedOperation] in
                    let (def, call) = try binder.bind(action, stepID: step.id, evaluator: iterEval)
                    return try planOrDefer(def, call, scope: iterationScope)
                }) {
                    iteration.operations = ops
                }
            }
            iteration.verify = step.verify.map { planCheck($0, step: step, evaluator: iterEval, binder: binder, problems: &planned.problems) }
            if let rollback = step.rollback, rollback.name == Self.nestedRunAction {
                iteration.rollbackAction = rollback.name
                iteration.rollbackChild = attempt { try planNested(rollback, evaluator: iterEval, callers: callers) }
            } else if let rollback = step.rollback {
                iteration.rollbackAction = rollback.name
                iteration.rollback = attempt { () throws -> [PlannedOperation] in
                    let (def, call) = try binder.bind(rollback, stepID: step.id, evaluator: iterEval)
                    return try planOrDefer(def, call, scope: iterationScope)
                } ?? []
            }
            planned.iterations.append(iteration)
        }
        // A skipped step's calls are shown for review, but what they could not bind (a target
        // the profile lacks because this run does not need it) is no problem of this run.
        if planned.condition?.holds == false { planned.problems = [] }
        return planned
    }

    /// Outputs a step would give if the run got there now (see `ActionDefinition.plannedOutputs`);
    /// nil for loops, nested runbooks and steps that cannot be bound.
    func plannedOutputs(_ step: Step, scope: Scope) -> [String: Value]? {
        guard step.forEach == nil, let action = step.action, action.name != Self.nestedRunAction,
              let (def, call) = try? CallBinder(catalog: catalog, profile: profile).bind(action, stepID: step.id, evaluator: Evaluator(scope: scope))
        else { return nil }
        return def.plannedOutputs(call, in: context(scope: scope))
    }

    /// True when one of `call`'s inputs reads `${steps.<stepID>.outputs...}`.
    static func references(_ call: ActionCall, outputsOf stepID: String) -> Bool {
        func walk(_ node: YNode) -> Bool {
            switch node.kind {
            case .scalar(let text, _): return text.contains("steps.\(stepID).outputs")
            case .sequence(let items): return items.contains(where: walk)
            case .mapping(let pairs): return pairs.contains { walk($0.value) }
            }
        }
        return call.inputs.contains { walk($0.value) }
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

    /// The plan of the runbook a `runbook.run` call runs, with the values this call passes
    /// (bound as a run binds them: typed, defaults applied).
    func planNested(_ call: ActionCall, evaluator: Evaluator, callers: [String]) throws -> RunPlan {
        guard let nameNode = call.input(RunbookRunInputs.runbook) else {
            throw EvaluationError("runbook.run needs input \"runbook\"", at: call.location)
        }
        let name = try evaluator.value(nameNode).description
        if callers.contains(name) {
            throw EvaluationError("runbook.run cycle: \((callers + [name]).joined(separator: " -> "))", at: nameNode.location)
        }
        guard let child = graph?.runbook(named: name) else {
            let known = graph?.names ?? []
            throw EvaluationError("no runbook \"\(name)\"\(Suggestions.didYouMean(name, in: known))", at: nameNode.location)
        }
        var given: [String: Value] = [:]
        if let paramsNode = call.input(RunbookRunInputs.params), case .map(let m) = try evaluator.value(paramsNode) { given = m }
        let (values, diags) = ParamBinder.bind(child, values: given, at: call.location)
        if let first = diags.first(where: { $0.severity == .error }) {
            throw EvaluationError("runbook \(name): \(first.message)", at: call.location)
        }
        return plan(child, params: values, runID: evaluator.scope.runID, startedAt: evaluator.scope.startedAt, callers: callers)
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
