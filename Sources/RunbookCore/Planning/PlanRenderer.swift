import Foundation

/// Renders a RunPlan for people (text, markdown) and machines (json).
public enum PlanRenderer {
    public static func text(_ plan: RunPlan, digest: String?) -> String {
        var out = "Plan: \(plan.runbook) -- \(plan.summary)\n"
        out += "Profile: \(plan.profile ?? "(none)")\n"
        if !plan.params.isEmpty {
            out += "Params:\n"
            for p in plan.params { out += "  \(p.name) = \(display(p.value))\n" }
        }
        out += "Secrets: \(plan.secrets.isEmpty ? "none" : plan.secrets.joined(separator: ", "))\n"
        if let rto = plan.rto { out += "RTO objective: \(rto.description)\n" }
        if let digest { out += "Plan digest: \(digest)\n" }
        out += "\n"
        out += renderSteps(plan.steps, indent: "")
        if !plan.onFailure.isEmpty {
            out += "\nOn failure (after rollback):\n"
            out += renderSteps(plan.onFailure, indent: "  ")
        }
        let destructive = destructiveSteps(plan)
        let count = countSteps(plan)
        out += "\n\(count) step\(count == 1 ? "" : "s"); destructive: \(destructive.isEmpty ? "none" : destructive.joined(separator: ", "))\n"
        return out
    }

    static func renderSteps(_ steps: [PlannedStep], indent: String) -> String {
        var out = ""
        for (i, step) in steps.enumerated() {
            out += "\(indent)\(i + 1). \(step.id)"
            if let action = step.action { out += "  [\(action)]" }
            if step.destructive { out += "  DESTRUCTIVE" }
            out += "\n"
            let pad = indent + "   "
            if let title = step.title { out += "\(pad)\(title)\n" }
            if let c = step.condition { out += "\(pad)when: \(c.text)  -> \(c.holds ? "runs" : "SKIPPED")\n" }
            if let confirm = step.confirm { out += "\(pad)confirm: \(confirm)\n" }
            var flags: [String] = []
            if let t = step.timeout { flags.append("timeout \(formatSeconds(t))") }
            if let r = step.retry { flags.append("retry \(r.attempts)x, delay \(formatSeconds(r.delay))") }
            if step.parallel > 1 { flags.append("parallel \(step.parallel)") }
            if step.onFailure != .rollback { flags.append("on_failure: \(step.onFailure.rawValue)") }
            if !flags.isEmpty { out += "\(pad)(\(flags.joined(separator: "; ")))\n" }
            for iteration in step.iterations {
                var p = pad
                if let b = iteration.loopBinding { out += "\(pad)for \(b.name) = \(b.value):\n"; p += "  " }
                for check in iteration.require { out += renderCheck("require", check, pad: p) }
                for op in iteration.operations { out += renderOperation(op, pad: p) }
                for check in iteration.verify { out += renderCheck("verify", check, pad: p) }
                if let child = iteration.child { out += renderChild(child, pad: p) }
                if let rb = iteration.rollbackAction {
                    out += "\(p)rollback [\(rb)]:\n"
                    for op in iteration.rollback { out += renderOperation(op, pad: p + "  ") }
                    if let child = iteration.rollbackChild { out += renderChild(child, pad: p + "  ") }
                }
            }
            for item in step.manual { out += "\(pad)[ ] \(item)\n" }
            for problem in step.problems { out += "\(pad)! cannot plan: \(problem)\n" }
        }
        return out
    }

    /// A called runbook's plan under the calling step, headed by the values it runs with.
    static func renderChild(_ child: RunPlan, pad: String) -> String {
        var out = "\(pad)runs runbook \(child.runbook)\(withParams(child)):\n"
        out += renderSteps(child.steps, indent: pad + "  ")
        if !child.onFailure.isEmpty {
            out += "\(pad)  on failure of \(child.runbook):\n" + renderSteps(child.onFailure, indent: pad + "    ")
        }
        return out
    }

    /// ` with a=1 b=[x, y]`: every param the called runbook gets, defaults included.
    static func withParams(_ plan: RunPlan) -> String {
        // Text with spaces is quoted, so where one value ends and the next begins stays plain.
        let shown = plan.params.filter { $0.value != .null }.map { param -> String in
            let text = display(param.value)
            return "\(param.name)=" + (text.contains(" ") || text.isEmpty ? "\"\(text)\"" : text)
        }
        return shown.isEmpty ? "" : " with " + shown.joined(separator: " ")
    }

    static func renderCheck(_ kind: String, _ check: PlannedCheck, pad: String) -> String {
        var out = "\(pad)\(kind) [\(check.check)]\n"
        for op in check.operations { out += renderOperation(op, pad: pad + "  ") }
        return out
    }

    static func renderOperation(_ op: PlannedOperation, pad: String) -> String {
        switch op {
        case .command(let c):
            var line = "\(pad)$ \(c.displayString)"
            if c.transport != "local" { line += "    # via \(c.transport)" }
            line += "\n"
            for name in c.environment.keys.sorted() {
                switch c.environment[name]! {
                case .secret(let s): line += "\(pad)    env \(name) = <secret \(s)>\n"
                case .literal(let v): line += "\(pad)    env \(name) = \(ShellQuote.quote(v))\n"
                }
            }
            return line
        case .builtin(let description):
            return "\(pad)* \(description)\n"
        }
    }

    // MARK: - Markdown

    public static func markdown(_ plan: RunPlan, digest: String?) -> String {
        var out = "# Plan: \(plan.runbook)\n\n\(plan.summary)\n\n"
        out += "- Profile: `\(plan.profile ?? "(none)")`\n"
        out += "- Secrets: \(plan.secrets.isEmpty ? "none" : plan.secrets.map { "`\($0)`" }.joined(separator: ", "))\n"
        if let rto = plan.rto { out += "- RTO objective: \(rto.description)\n" }
        if let digest { out += "- Plan digest: `\(digest)`\n" }
        if !plan.params.isEmpty {
            out += "\n| param | value |\n|---|---|\n"
            for p in plan.params { out += "| `\(p.name)` | `\(display(p.value))` |\n" }
        }
        out += "\n"
        out += markdownSteps(plan.steps, level: 2)
        if !plan.onFailure.isEmpty {
            out += "## On failure\n\n" + markdownSteps(plan.onFailure, level: 3)
        }
        return out
    }

    static func markdownSteps(_ steps: [PlannedStep], level: Int) -> String {
        var out = ""
        let hashes = String(repeating: "#", count: min(level, 6))
        for (i, step) in steps.enumerated() {
            out += "\(hashes) \(i + 1). \(step.title ?? step.id)\(step.destructive ? " (destructive)" : "")\n\n"
            out += "Step `\(step.id)`" + (step.action.map { ", action `\($0)`" } ?? "") + ".\n\n"
            if let c = step.condition { out += "Runs only when `\(c.text)` (\(c.holds ? "holds" : "does not hold") with these params).\n\n" }
            if let confirm = step.confirm { out += "> **Confirm:** \(confirm)\n\n" }
            let text = step.iterations.map { iteration -> String in
                var t = ""
                for c in iteration.require { t += "# require \(c.check)\n" + c.operations.map { renderOperation($0, pad: "") }.joined() }
                t += iteration.operations.map { renderOperation($0, pad: "") }.joined()
                for c in iteration.verify { t += "# verify \(c.check)\n" + c.operations.map { renderOperation($0, pad: "") }.joined() }
                // A call's iteration has nothing here: its runbook's steps follow, under its own heading.
                guard !t.isEmpty, let b = iteration.loopBinding else { return t }
                return "# for \(b.name) = \(b.value)\n" + t
            }.joined()
            if !text.isEmpty { out += "```sh\n\(text)```\n\n" }
            let rollbacks = step.iterations.filter { $0.rollbackAction != nil }
            if !rollbacks.isEmpty {
                out += "Rollback:\n\n```sh\n" + rollbacks.map { $0.rollback.map { renderOperation($0, pad: "") }.joined() }.joined() + "```\n\n"
            }
            for item in step.manual { out += "- [ ] \(item)\n" }
            if !step.manual.isEmpty { out += "\n" }
            for iteration in step.iterations {
                let item = iteration.loopBinding.map { " for \($0.name) = `\($0.value)`" } ?? ""
                if let child = iteration.child {
                    out += "Runs runbook `\(child.runbook)`\(item)\(markdownParams(child)):\n\n" + markdownSteps(child.steps, level: level + 1)
                }
                if let child = iteration.rollbackChild {
                    out += "Rollback\(item) runs runbook `\(child.runbook)`\(markdownParams(child)):\n\n" + markdownSteps(child.steps, level: level + 1)
                }
            }
            for problem in step.problems { out += "> **Cannot plan:** \(problem)\n\n" }
        }
        return out
    }

    static func markdownParams(_ plan: RunPlan) -> String {
        let shown = plan.params.filter { $0.value != .null }.map { "`\($0.name)` = `\(display($0.value))`" }
        return shown.isEmpty ? "" : " with " + shown.joined(separator: ", ")
    }

    // MARK: - JSON

    public static func json(_ plan: RunPlan, digest: String?) -> String {
        var object = jsonObject(plan)
        if let digest { object["digest"] = digest }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func jsonObject(_ plan: RunPlan) -> [String: Any] {
        var object: [String: Any] = [
            "runbook": plan.runbook,
            "summary": plan.summary,
            "profile": plan.profile as Any? ?? NSNull(),
            "params": Dictionary(uniqueKeysWithValues: plan.params.map { ($0.name, jsonValue($0.value)) }),
            "steps": plan.steps.map(jsonStep),
            "on_failure": plan.onFailure.map(jsonStep),
            "secrets": plan.secrets,
        ]
        if let rto = plan.rto {
            object["rto"] = ["target": rto.targetText, "target_seconds": rto.target, "until": rto.until as Any? ?? NSNull()]
        }
        return object
    }

    static func jsonStep(_ step: PlannedStep) -> [String: Any] {
        var o: [String: Any] = [
            "id": step.id,
            "destructive": step.destructive,
            "parallel": step.parallel,
            "on_failure": step.onFailure.rawValue,
            "manual": step.manual,
            "problems": step.problems,
            "iterations": step.iterations.map { it -> [String: Any] in
                var i: [String: Any] = [
                    "require": it.require.map { ["check": $0.check, "operations": $0.operations.map(jsonOperation)] },
                    "operations": it.operations.map(jsonOperation),
                    "verify": it.verify.map { ["check": $0.check, "operations": $0.operations.map(jsonOperation)] },
                    "rollback": it.rollback.map(jsonOperation),
                ]
                if let b = it.loopBinding { i["loop"] = [b.name: b.value] }
                if let a = it.rollbackAction { i["rollback_action"] = a }
                if let child = it.child { i["runbook"] = jsonObject(child) }
                if let child = it.rollbackChild { i["rollback_runbook"] = jsonObject(child) }
                return i
            },
        ]
        if let a = step.action { o["action"] = a }
        if let t = step.title { o["title"] = t }
        if let c = step.confirm { o["confirm"] = c }
        if let c = step.condition { o["when"] = ["condition": c.text, "holds": c.holds] }
        if let t = step.timeout { o["timeout_seconds"] = t }
        if let r = step.retry { o["retry"] = ["attempts": r.attempts, "delay_seconds": r.delay] }
        return o
    }

    static func jsonOperation(_ op: PlannedOperation) -> [String: Any] {
        switch op {
        case .command(let c):
            var o: [String: Any] = ["type": "command", "argv": c.argv, "transport": c.transport]
            o["env"] = Dictionary(uniqueKeysWithValues: c.environment.map { k, v -> (String, String) in
                switch v {
                case .literal(let s): return (k, s)
                case .secret(let s): return (k, "<secret \(s)>")
                }
            })
            if let s = c.stdinFile { o["stdin"] = s }
            if let s = c.stdinFrom { o["stdin_from"] = s }
            if let s = c.stdoutFile { o["stdout"] = s }
            return o
        case .builtin(let d):
            return ["type": "builtin", "description": d]
        }
    }

    static func jsonValue(_ v: Value) -> Any {
        switch v {
        case .string(let s): return s
        case .int(let i): return i
        case .bool(let b): return b
        case .list(let l): return l.map(jsonValue)
        case .map(let m): return m.mapValues(jsonValue)
        case .secret(let s): return "<secret \(s)>"
        case .null: return NSNull()
        }
    }

    // MARK: - Helpers

    static func display(_ v: Value) -> String {
        switch v {
        case .null: return "(unset)"
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        default: return v.description
        }
    }

    static func formatSeconds(_ s: Double) -> String {
        if s >= 3600, s.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(s / 3600))h" }
        if s >= 60, s.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(s / 60))m" }
        return s == s.rounded() ? "\(Int(s))s" : "\(s)s"
    }

    /// Destructive steps by path, a called runbook's as `call/step` and a loop item's as
    /// `call[item]/step`, so the summary names every database a loop destroys.
    public static func destructiveSteps(_ plan: RunPlan) -> [String] {
        plan.steps.flatMap { step -> [String] in
            (step.destructive ? [step.id] : []) + step.iterations.flatMap { iteration -> [String] in
                guard let child = iteration.child else { return [] }
                let path = step.id + (iteration.loopBinding.map { "[\($0.value)]" } ?? "")
                return destructiveSteps(child).map { "\(path)/\($0)" }
            }
        }
    }

    /// Steps that will run: every step, and every step of every called runbook, once per call.
    static func countSteps(_ plan: RunPlan) -> Int {
        plan.steps.reduce(0) { total, step in
            total + 1 + step.iterations.reduce(0) { $0 + ($1.child.map(countSteps) ?? 0) }
        }
    }
}
