import Foundation

/// References to params, secrets, run fields, step outputs and loop variables that do
/// not exist where they are used. Step outputs are visible only from later steps (and
/// from the step's own `verify:` and `rollback:`, which run after its action).
public struct UndefinedReferenceRule: Rule {
    public let name = RuleID.undefinedReference
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        let refs = context.facts(for: runbook).stepRefs
        var out: [Diagnostic] = []
        for site in context.facts(for: runbook).templateSites {
            for r in site.references {
                if let (message, notes) = problem(r.reference, at: site, runbook: runbook, steps: refs, context: context) {
                    out.append(.error(name, message, at: r.location, length: r.length, notes: notes))
                }
            }
        }
        return out
    }

    private func problem(_ ref: Reference, at site: TemplateSite, runbook: Runbook, steps: [StepRef],
                         context: RuleContext) -> (String, [String])? {
        switch ref {
        case .param(let n):
            guard runbook.param(n) == nil else { return nil }
            let names = runbook.params.map(\.name)
            return ("undefined param \(Notes.quote(n))\(Suggestions.didYouMean(n, in: names))",
                    Notes.list("params", names, orElse: "this runbook declares no params"))
        case .secret(let n):
            guard runbook.secret(n) == nil else { return nil }
            let names = runbook.secrets.map(\.name)
            return ("undefined secret \(Notes.quote(n))\(Suggestions.didYouMean(n, in: names))",
                    Notes.list("secrets", names, orElse: "declare it under secrets: with env: or file:"))
        case .run(let f):
            guard !Reference.runFields.contains(f) else { return nil }
            return ("unknown run field \(Notes.quote(f))\(Suggestions.didYouMean(f, in: Reference.runFields))",
                    Notes.list("run fields", Reference.runFields))
        case .stepOutput(let id, let output):
            return stepOutputProblem(id, output, at: site, steps: steps, context: context)
        case .loop(let n):
            return loopProblem(n, at: site, runbook: runbook, steps: steps)
        case .groupMembers:
            return nil  // [target-group] checks groups
        }
    }

    private func stepOutputProblem(_ id: String, _ output: String, at site: TemplateSite, steps: [StepRef],
                                   context: RuleContext) -> (String, [String])? {
        let ids = steps.map(\.step.id).filter { !$0.isEmpty }
        guard let target = steps.first(where: { $0.step.id == id }) else {
            return ("no step \(Notes.quote(id))\(Suggestions.didYouMean(id, in: ids))", Notes.list("steps", ids))
        }
        let owner = site.owner
        let sameStep = target.section == owner.section && target.index == owner.index
        if sameStep {
            var runsAfter = false
            if case .input(let call, _, _) = site.place { runsAfter = call.role.runsAfterAction }
            if !runsAfter {
                return ("step \(Notes.quote(id)) reads its own output \(Notes.quote(output)) before its action has run",
                        ["a step's outputs can be used in its own verify: and rollback:, and in later steps"])
            }
        } else if !isEarlier(target, than: owner) {
            let why = target.section == .onFailure && owner.section == .main
                ? "step \(Notes.quote(id)) is an on_failure step, which runs only after a failure"
                : "step \(Notes.quote(id)) runs after this one"
            return ("\(why); only outputs of earlier steps can be used", [])
        }
        guard let action = target.step.action else {
            return ("step \(Notes.quote(id)) has no action, so it has no output \(Notes.quote(output))", [])
        }
        guard let (owner, names) = Self.outputNames(of: action, in: context) else { return nil }
        guard !names.contains(output) else { return nil }
        return ("step \(Notes.quote(id)) (\(owner)) has no output \(Notes.quote(output))\(Suggestions.didYouMean(output, in: names))",
                Notes.list("outputs of \(owner)", names, orElse: "\(owner) declares no outputs"))
    }

    /// What a call's step offers as outputs: the action's declared outputs, or for `runbook.run`
    /// the called runbook's `outputs:`. Nil when that cannot be known (unknown action or runbook,
    /// reported by their own rules, or a computed runbook name).
    static func outputNames(of action: ActionCall, in context: RuleContext) -> (owner: String, names: [String])? {
        if action.name == RunbookRunInputs.action {
            guard let target = Runbook.literalRunbookTarget(action), let callee = context.runbooks[target.name] else { return nil }
            return ("runbook \(callee.name)", callee.outputs.map(\.name))
        }
        guard let spec = context.spec(action.name) else { return nil }
        return (spec.name, spec.outputs.map(\.name))
    }

    private func isEarlier(_ a: StepRef, than b: StepRef) -> Bool {
        switch (a.section, b.section) {
        case (.main, .main), (.onFailure, .onFailure): return a.index < b.index
        case (.main, .onFailure): return true
        case (.onFailure, .main): return false
        }
    }

    private func loopProblem(_ n: String, at site: TemplateSite, runbook: Runbook, steps: [StepRef]) -> (String, [String])? {
        let own = site.owner.step
        switch site.place {
        case .forEach, .when:
            if own.loopVariable == n {
                return ("loop variable \(Notes.quote(n)) is not defined in \(site.place.key):, which is evaluated once for the whole step",
                        ["the loop variable can be used in the step's with:, require:, verify:, rollback:, confirm: and manual:"])
            }
        default:
            if own.loopVariable == n { return nil }
        }
        if let other = steps.first(where: { $0.step.loopVariable == n }) {
            return ("loop variable \(Notes.quote(n)) is defined only inside step \(Notes.quote(other.step.id))", [])
        }
        let candidates = runbook.params.map { "params.\($0.name)" } + (own.loopVariable.map { [$0] } ?? [])
        let bare = runbook.params.first { $0.name == n }.map { "; did you mean \"params.\($0.name)\"?" }
            ?? Suggestions.didYouMean(n, in: candidates)
        return ("undefined reference \"${\(n)}\"\(bare)",
                ["references: ${params.NAME}, ${secrets.NAME}, ${steps.ID.outputs.NAME}, ${run.FIELD}, or the loop variable named by the step's as:"])
    }
}
