import Foundation

/// Renders a runbook as the Markdown page a person could follow by hand: the seed
/// wiki page, regenerated from the YAML so docs and automation cannot drift.
public enum DocsRenderer {
    /// Placeholder values for params the reader must choose (required, no default).
    public static func placeholderParams(_ runbook: Runbook, given: [String: Value]) -> [String: Value] {
        var values = given
        for p in runbook.params where values[p.name] == nil || values[p.name] == .null {
            values[p.name] = .string("<\(p.name)>")
        }
        return values
    }

    public static func markdown(_ runbook: Runbook, plan: RunPlan) -> String {
        var out = "# \(runbook.name)\n\n\(runbook.summary)\n\n"
        if let d = runbook.description { out += d.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n" }
        out += "Run it: `runbook run \(runbook.name)"
        for p in runbook.params where p.required { out += " --param \(p.name)=..." }
        out += " --profile PROFILE`. Review first: `runbook plan \(runbook.name) ...`.\n\n"
        if let rto = runbook.rto {
            out += "Recovery time objective (RTO): \(rto.describe(in: runbook)). The time achieved is recorded in the audit trail and shown at the end of the run.\n\n"
        }
        if !runbook.params.isEmpty {
            out += "## Parameters\n\n| name | type | default | required | description |\n|---|---|---|---|---|\n"
            for p in runbook.params {
                let def = p.defaultValue.map { defaultText($0) } ?? ""
                var desc = p.description ?? ""
                if !p.allowed.isEmpty { desc += (desc.isEmpty ? "" : " ") + "One of: " + p.allowed.map { "`\($0)`" }.joined(separator: ", ") + "." }
                if let pattern = p.pattern { desc += (desc.isEmpty ? "" : " ") + "Pattern: `\(pattern)`." }
                out += "| `\(p.name)` | \(p.type) | \(def.isEmpty ? "" : "`\(def)`") | \(p.required ? "yes" : "no") | \(desc) |\n"
            }
            out += "\n"
        }
        if !runbook.secrets.isEmpty {
            out += "## Secrets\n\n"
            for s in runbook.secrets {
                var source: [String] = []
                if let e = s.env { source.append("environment variable `\(e)`") }
                if let f = s.file { source.append("file `\(f)`") }
                out += "- `\(s.name)`: from \(source.joined(separator: " or "))\(s.description.map { ". \($0)" } ?? "")\n"
            }
            out += "\n"
        }
        if !runbook.requires.isEmpty {
            out += "Targets (bound by the profile): " + runbook.requires.map { "`\($0.name)`" }.joined(separator: ", ") + ".\n\n"
        }
        out += "## Steps\n\n"
        out += PlanRenderer.markdownSteps(plan.steps, level: 3)
        if !plan.onFailure.isEmpty {
            out += "## If anything fails\n\n" + PlanRenderer.markdownSteps(plan.onFailure, level: 3)
        }
        return out
    }

    static func defaultText(_ node: YNode) -> String {
        if let items = node.sequence { return items.compactMap(\.scalar).joined(separator: ", ") }
        return node.scalar ?? ""
    }
}
