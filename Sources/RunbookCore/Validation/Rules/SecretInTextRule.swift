import Foundation

/// A secret may only be the whole value of an entry in a mapping input (an environment):
/// anywhere else it would be printed (confirm, manual, plans) or land in argv, where
/// every user of the machine can read it.
public struct SecretInTextRule: Rule {
    public let name = RuleID.secretInText
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for site in context.facts(for: runbook).templateSites {
            guard case .success(let template) = site.parsed else { continue }
            for r in site.references {
                guard case .secret(let secret) = r.reference else { continue }
                if template.singleReference == nil {
                    out.append(.error(name, "secret \(Notes.quote(secret)) is embedded in text in \(site.place.key):; a secret can only be the whole value of an environment entry",
                                      at: r.location, length: r.length,
                                      notes: ["text is shown in plans, logs and command lines; pass the secret through env, e.g. env: {PGPASSWORD: \"${secrets.\(secret)}\"}"]))
                    continue
                }
                guard case .input(let call, let input, let nesting) = site.place else {
                    out.append(.error(name, "secret \(Notes.quote(secret)) used in \(site.place.key): would be shown to people and written to logs",
                                      at: r.location, length: r.length))
                    continue
                }
                // Unknown actions and inputs are reported elsewhere; we cannot tell where their values go.
                guard let spec = context.spec(call.call.name), let inputSpec = spec.input(input) else { continue }
                if case .map = inputSpec.type, nesting == .mapValue { continue }
                if case .secret = inputSpec.type, nesting != .mapValue { continue }
                let envInputs = spec.inputs.filter { if case .map = $0.type { return true }; return false }.map(\.name)
                out.append(.error(name, "secret \(Notes.quote(secret)) passed to input \(Notes.quote(input)) of \(spec.name) would land in a command line",
                                  at: r.location, length: r.length,
                                  notes: Notes.list("inputs of \(spec.name) that take secrets (as NAME: \"${secrets.X}\")", envInputs,
                                                    orElse: "\(spec.name) takes no secrets")))
            }
        }
        return out
    }
}
