import Foundation
import RunbookCore

/// Checks made before the first step, so a run that would stop halfway for want
/// of an operator or a secret never starts.
enum Preflight {
    /// Steps (also in nested runbooks named literally) that need a person:
    /// `confirm:`, a destructive action, or a `manual:` checklist.
    static func stepsNeedingOperator(_ graph: RunbookGraph, actions: [String: any ExecutableAction]) -> [String] {
        let runbook = graph.root
        var out: [String] = []
        for rb in graph.members {
            for step in rb.steps + rb.onFailure {
                let destructive = step.action.flatMap { actions[$0.name]?.spec.destructive } ?? false
                if step.confirm != nil || destructive || !step.manual.isEmpty {
                    out.append(rb.name == runbook.name ? step.id : "\(rb.name): \(step.id)")
                }
            }
        }
        return out
    }

    /// The secrets the run will use (`SecretNeeds`: only steps that may run count), as
    /// declared by the runbook, its profile or the runbooks it calls.
    static func secretDeclarations(_ graph: RunbookGraph, params: [String: Value], profile: Profile?,
                                   actions: [any ExecutableAction]) -> [SecretDecl] {
        let needs = SecretNeeds(catalog: ActionCatalog(actions.map { $0 as any ActionDefinition }), profile: profile, runbookNamed: { graph.callees[$0] })
        let needed = Set(needs.names(for: graph.root, params: params))
        var decls = SecretResolver.declarations(runbook: graph.root, profile: profile)
        var names = Set(decls.map(\.name))
        for child in graph.callees.keys.sorted().compactMap({ graph.callees[$0] }) {
            for d in child.secrets where names.insert(d.name).inserted { decls.append(d) }
        }
        return decls.filter { needed.contains($0.name) }
    }
}
