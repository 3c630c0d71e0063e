import Foundation

/// Which secrets a run will use, known before its first step, so a run resolves (and
/// demands) only those: `backup --param media=false` needs no S3 key.
///
/// A step counts unless its `when:` depends on params alone and is false with the
/// run's params: a condition on step outputs (or anything else only the run knows)
/// counts the step, since it may run. A counted step needs the secrets its text
/// references (action, checks, rollback, confirm, ...), and the secrets of the profile
/// targets its calls use. `runbook.run` counts the called runbook's steps the same way,
/// with the params it passes; when those are known only at run time, every step of it
/// counts. `on_failure` steps count: any failure runs them.
///
/// A runbook called through a computed name (`runbook: ${...}`) is not known here;
/// its secrets are resolved when it starts, as each nested runbook's are.
public struct SecretNeeds: Sendable {
    public var catalog: ActionCatalog
    public var profile: Profile?
    /// Finds another runbook by name, for `runbook.run` steps.
    public var runbookNamed: @Sendable (String) -> Runbook?

    static let maxNesting = 8

    public init(catalog: ActionCatalog, profile: Profile?, runbookNamed: @escaping @Sendable (String) -> Runbook? = { _ in nil }) {
        self.catalog = catalog
        self.profile = profile
        self.runbookNamed = runbookNamed
    }

    /// The names of the secrets a run of `runbook` with `params` (bound, defaults applied) will use, sorted.
    public func names(for runbook: Runbook, params: [String: Value]) -> [String] {
        var found = Set<String>()
        collect(runbook, params: params, depth: 0, into: &found)
        return found.sorted()
    }

    /// `params` nil: only the run will know them, so every step counts.
    private func collect(_ runbook: Runbook, params: [String: Value]?, depth: Int, into found: inout Set<String>) {
        guard depth < Self.maxNesting else { return }
        for step in runbook.steps + runbook.onFailure where mayRun(step, params: params) {
            found.formUnion(referencedSecrets(step))
            let scopes = params.flatMap { loopScopes(step, params: $0) }
            for call in calls(of: step) {
                found.formUnion(targetSecrets(call, scopes: scopes))
                if call.name == RunbookRunInputs.action { collectNested(call, scopes: scopes, depth: depth, into: &found) }
            }
        }
    }

    /// False only for a `when:` that reads nothing but params and does not hold.
    func mayRun(_ step: Step, params: [String: Value]?) -> Bool {
        guard let when = step.when, let params, case .success(let template) = Template.parse(when.text) else { return true }
        let paramsOnly = template.references.allSatisfy { if case .param = $0 { return true }; return false }
        guard paramsOnly else { return true }
        return (try? Evaluator(scope: Self.scope(params)).condition(when)) ?? true
    }

    /// The scopes the step's calls bind in: one, or one per `for_each` item; nil when the items are known only at run time.
    private func loopScopes(_ step: Step, params: [String: Value]) -> [Scope]? {
        var base = Self.scope(params)
        base.groupMembers = profile?.groupMembers ?? [:]
        guard let forEach = step.forEach, let variable = step.loopVariable else { return [base] }
        guard let items = try? Evaluator(scope: base).value(forEach) else { return nil }
        return (items.listValue ?? [items]).map { base.with(loopVariable: variable, value: $0) }
    }

    private static func scope(_ params: [String: Value]) -> Scope {
        // Step outputs are absent: evaluating a reference to one fails, and the caller counts the worst case.
        Scope(params: params, secretNames: [], runID: "", startedAt: Date(timeIntervalSince1970: 0), stateDir: "")
    }

    private func calls(of step: Step) -> [ActionCall] {
        [step.action].compactMap { $0 } + step.require + step.verify + [step.rollback].compactMap { $0 }
    }

    /// `${secrets.X}` written anywhere in the step.
    private func referencedSecrets(_ step: Step) -> Set<String> {
        var nodes: [YNode] = calls(of: step).flatMap { $0.inputs.map(\.value) }
        nodes += ([step.when, step.confirm].compactMap { $0 } + step.manual).map(\.node)
        if let forEach = step.forEach { nodes.append(forEach) }
        var out = Set<String>()
        func visit(_ node: YNode) {
            switch node.kind {
            case .scalar(let text, _):
                guard text.utf8.containsReferenceStart, case .success(let t) = Template.parse(text) else { return }
                for case .secret(let name) in t.references { out.insert(name) }
            case .sequence(let items): items.forEach(visit)
            case .mapping(let pairs): pairs.forEach { visit($0.value) }
            }
        }
        nodes.forEach(visit)
        return out
    }

    /// Secrets of the profile targets the call uses. A target name known only at run
    /// time counts every target of the kind the input takes.
    private func targetSecrets(_ call: ActionCall, scopes: [Scope]?) -> Set<String> {
        guard let profile, let spec = catalog.definition(call.name)?.spec else { return [] }
        var out = Set<String>()
        for input in spec.inputs {
            guard case .target(let kind) = input.type else { continue }
            var names: [String]?
            if let node = call.input(input.name) {
                if let literal = node.scalar, !literal.utf8.containsReferenceStart {
                    names = [literal]
                } else if let scopes, Self.readsOnlyParamsAndLoops(node) {
                    let values = scopes.map { try? Evaluator(scope: $0).value(node).stringValue }
                    names = values.contains { $0 == nil } ? nil : values.compactMap { $0 }
                }
            } else {
                names = input.defaultValue?.stringValue.map { [$0] } ?? []
            }
            let targets = names.map { $0.compactMap(profile.target) } ?? profile.targets.filter { $0.binding.kind == kind }
            for target in targets { out.formUnion(target.binding.secretNames) }
        }
        return out
    }

    /// The called runbook's needs, with the params this call passes it (per loop item).
    private func collectNested(_ call: ActionCall, scopes: [Scope]?, depth: Int, into found: inout Set<String>) {
        guard let nameNode = call.input(RunbookRunInputs.runbook) else { return }
        let paramsNode = call.input(RunbookRunInputs.params)
        // Params that read step outputs or the run's id are known only at run time.
        let paramsKnown = paramsNode.map(Self.readsOnlyParamsAndLoops) ?? true
        let candidates: [Scope?] = scopes ?? [nil]
        for scope in candidates {
            let evaluator = scope.map(Evaluator.init)
            var name = nameNode.scalar.flatMap { $0.utf8.containsReferenceStart ? nil : $0 }
            if name == nil, let evaluator { name = try? evaluator.value(nameNode).description }
            guard let name, let child = runbookNamed(name) else { continue }
            var childParams: [String: Value]?
            if let evaluator, paramsKnown {
                var given: [String: Value]? = [:]
                if let paramsNode {
                    if case .map(let values)? = try? evaluator.value(paramsNode) { given = values } else { given = nil }
                }
                if let given {
                    let (bound, diagnostics) = ParamBinder.bind(child, values: given, at: child.nameLocation)
                    if !diagnostics.hasErrors { childParams = bound }
                }
            }
            collect(child, params: childParams, depth: depth + 1, into: &found)
        }
    }

    /// True when every `${...}` below `node` is a param or a loop variable.
    static func readsOnlyParamsAndLoops(_ node: YNode) -> Bool {
        switch node.kind {
        case .scalar(let text, _):
            guard text.utf8.containsReferenceStart else { return true }
            guard case .success(let t) = Template.parse(text) else { return false }
            return t.references.allSatisfy {
                switch $0 {
                case .param, .loop: return true
                case .secret, .stepOutput, .run, .groupMembers: return false
                }
            }
        case .sequence(let items): return items.allSatisfy(readsOnlyParamsAndLoops)
        case .mapping(let pairs): return pairs.allSatisfy { readsOnlyParamsAndLoops($0.value) }
        }
    }
}
