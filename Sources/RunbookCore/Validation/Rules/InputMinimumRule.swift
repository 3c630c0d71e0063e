import Foundation

/// An `int` input below the least value its action accepts (`InputSpec.minimum`), written in the
/// runbook: a literal (`keep: 0`), or the default of the param that feeds it (`keep: ${params.keep_offsite}`
/// with `keep_offsite: {type: int, default: 0}`). A retention floor refused only when its step
/// runs comes after the backup before it was taken, or after half a restore; this refuses it
/// at validate and plan time. Values given with `--param` are checked by `InputMinimumCheck`.
public struct InputMinimumRule: Rule {
    public let name = RuleID.inputMinimum
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for use in Self.uses(context.facts(for: runbook)) {
            if let got = Int(use.node.scalar?.trimmingCharacters(in: .whitespaces) ?? ""), got < use.minimum {
                out.append(.error(name, "input \(Notes.quote(use.input)) of \(use.action) must be at least \(use.minimum), got \(Notes.quote(use.node))",
                                  at: Notes.valueLocation(use.node), length: Notes.length(use.node)))
            } else if let param = use.param, let decl = runbook.param(param), let def = decl.defaultValue,
                      let got = Int(def.scalar?.trimmingCharacters(in: .whitespaces) ?? ""), got < use.minimum {
                out.append(.error(name, "default of param \(Notes.quote(param)) is \(Notes.quote(def)), but it feeds input \(Notes.quote(use.input)) of \(use.action) (step \(Notes.quote(use.step))), which must be at least \(use.minimum)",
                                  at: Notes.valueLocation(def), length: Notes.length(def)))
            }
        }
        return out
    }

    /// An input with a minimum as a step gives it.
    struct Use {
        var step: String
        var action: String
        var input: String
        var minimum: Int
        /// The value as written.
        var node: YNode
        /// The param the value is, when it is exactly `${params.NAME}`.
        var param: String?
    }

    static func uses(_ facts: RunbookFacts) -> [Use] {
        facts.knownCalls.flatMap { site, spec in
            site.call.inputs.compactMap { pair -> Use? in
                guard let minimum = spec.input(pair.key)?.minimum, let text = pair.value.scalar else { return nil }
                var param: String?
                if text.utf8.containsReferenceStart, case .success(let template) = Template.parse(text),
                   case .param(let p) = template.singleReference {
                    param = p
                }
                return Use(step: site.owner.step.id, action: spec.name, input: pair.key, minimum: minimum, node: pair.value, param: param)
            }
        }
    }
}
