import Crypto
import Foundation

/// The digest of what a plan was made from: the runbook's bytes, the bound
/// params and the profile's bytes. `runbook plan` prints it; `runbook run
/// --plan-digest D` refuses to start when it differs, so what runs is what was reviewed.
///
/// Computed over `runbook.digest` (sha256 of the file's bytes), each param as
/// `name=<typed canonical value>` in name order, and `profile.digest` (or
/// nothing without a profile). Params must be bound with `ParamBinder` first,
/// so defaults count and `5` and `"5"` for an int param give the same digest.
public enum PlanDigest {
    /// 64 lowercase hex digits.
    public static func compute(runbook: Runbook, params: [String: Value], profile: Profile?) -> String {
        var text = "runbook-plan-digest/v1\n"
        text += "runbook \(runbook.digest)\n"
        for name in params.keys.sorted() {
            text += "param \(name)=\(canonical(params[name] ?? .null))\n"
        }
        text += "profile \(profile?.digest ?? "-")\n"
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// True when `given` names `digest`: the whole digest, or a prefix of at least 12 hex digits.
    public static func matches(_ given: String, _ digest: String) -> Bool {
        let g = given.lowercased().trimmingCharacters(in: .whitespaces)
        let stripped = g.hasPrefix("sha256:") ? String(g.dropFirst(7)) : g
        return stripped.count >= 12 && digest.hasPrefix(stripped)
    }

    static func canonical(_ v: Value) -> String {
        switch v {
        case .string(let s): return "s" + quoted(s)
        case .int(let i): return "i\(i)"
        case .bool(let b): return b ? "btrue" : "bfalse"
        case .null: return "n"
        case .secret(let name): return "secret" + quoted(name)
        case .list(let items): return "[" + items.map(canonical).joined(separator: ",") + "]"
        case .map(let m): return "{" + m.keys.sorted().map { quoted($0) + ":" + canonical(m[$0] ?? .null) }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
