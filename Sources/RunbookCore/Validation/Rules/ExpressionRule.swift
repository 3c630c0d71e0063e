import Foundation

/// `${...}` that cannot be parsed, and time formats applied to values that are not timestamps.
public struct ExpressionRule: Rule {
    public let name = RuleID.expression
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for site in context.facts(for: runbook).templateSites {
            if case .failure(let e) = site.parsed {
                let (loc, len) = site.span(offset: e.offset, length: max(2, site.text.count - e.offset))
                out.append(.error(name, e.message, at: loc, length: len,
                                  notes: ["references: ${params.NAME}, ${secrets.NAME}, ${steps.ID.outputs.NAME}, ${run.FIELD}, or a loop variable ${NAME}; write $${ for a literal ${"]))
                continue
            }
            for r in site.references {
                guard let format = r.format else { continue }
                if format.isEmpty {
                    out.append(.error(name, "empty time format after \"|\" in ${\(r.reference)|}", at: r.location, length: r.length,
                                      notes: ["example: ${run.started_at|%Y%m%d-%H%M%S}"]))
                    continue
                }
                if let problem = Self.notATimestamp(r.reference, runbook) {
                    out.append(.error(name, "a time format applies only to timestamps, but \(problem)", at: r.location, length: r.length,
                                      notes: ["timestamps: ${run.started_at} and params of type timestamp"]))
                }
            }
        }
        return out
    }

    /// Why `ref` cannot take a time format, when that is known before running.
    static func notATimestamp(_ ref: Reference, _ runbook: Runbook) -> String? {
        switch ref {
        case .run(let field):
            return field == "started_at" || !Reference.runFields.contains(field) ? nil : "${run.\(field)} is not a time"
        case .param(let name):
            guard let decl = runbook.param(name), decl.type != .timestamp else { return nil }
            return "params.\(name) has type \(decl.type)"
        case .secret(let name):
            return "secrets.\(name) is a secret"
        case .stepOutput, .loop:
            return nil
        case .groupMembers(let group):
            return "targets.\(group).members is a list of target names"
        }
    }
}
