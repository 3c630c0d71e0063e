import Foundation

/// A literal target name given to a target-typed input.
struct TargetUse: Sendable {
    let name: String
    let node: YNode
    let kind: TargetKindID
    let action: String
    /// The step whose call names it: a step with `when:` may be skipped by the run.
    let owner: StepRef
}

extension RunbookFacts {
    /// Target names written literally in target-typed inputs (names from `${...}`
    /// are only known at run time, where the binder checks them).
    static func targetUses(of callSites: [CallSite], in context: RuleContext) -> [TargetUse] {
        var out: [TargetUse] = []
        for site in callSites {
            guard let spec = context.spec(site.call.name) else { continue }
            for pair in site.call.inputs {
                guard let input = spec.input(pair.key) else { continue }
                let kind: TargetKindID
                var nodes = [pair.value]
                switch input.type {
                case .target(let k): kind = k
                case .list(.target(let k)): kind = k; nodes = pair.value.sequence ?? [pair.value]
                default: continue
                }
                for node in nodes {
                    guard let name = node.scalar, !node.isNull, !name.utf8.containsReferenceStart else { continue }
                    out.append(TargetUse(name: name, node: node, kind: kind, action: spec.name, owner: site.owner))
                }
            }
        }
        return out
    }
}
