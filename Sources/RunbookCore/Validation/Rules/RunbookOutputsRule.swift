import Foundation

/// Each of a runbook's `outputs:` must be exactly one `${steps.ID.outputs.NAME}` reference to
/// an output one of its main steps has, so a caller reading `${steps.CALL.outputs.X}` gets a
/// value the run produced.
public struct RunbookOutputsRule: Rule {
    public let name = RuleID.runbookOutputs
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        runbook.outputs.compactMap { decl in
            guard let message = problem(decl, runbook, context) else { return nil }
            let node = decl.value.node
            return .error(name, "output \(Notes.quote(decl.name)): \(message)", at: Notes.valueLocation(node), length: Notes.length(node),
                          notes: ["write it as ${steps.ID.outputs.NAME}, naming an output of one of this runbook's steps"])
        }
    }

    private func problem(_ decl: OutputDecl, _ runbook: Runbook, _ context: RuleContext) -> String? {
        guard case .success(let template) = Template.parse(decl.value.text), let reference = template.singleReference,
              case .stepOutput(let id, let output) = reference else {
            return "\(Notes.quote(decl.value.text)) is not a single step output reference"
        }
        let ids = runbook.steps.map(\.id)
        guard let step = runbook.steps.first(where: { $0.id == id }) else {
            return "no step \(Notes.quote(id))\(Suggestions.didYouMean(id, in: ids))"
        }
        guard let action = step.action else { return "step \(Notes.quote(id)) has no action, so it has no output \(Notes.quote(output))" }
        guard let (owner, names) = UndefinedReferenceRule.outputNames(of: action, in: context), !names.contains(output) else { return nil }
        return "step \(Notes.quote(id)) (\(owner)) has no output \(Notes.quote(output))\(Suggestions.didYouMean(output, in: names))"
    }
}
