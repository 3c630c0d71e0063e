import Crypto
import Foundation

/// The digest of what a plan was made from: the bytes of the runbook and of every
/// runbook it can reach (`RunbookGraph`: calls in steps, rollbacks, checks and
/// `on_failure` alike), the bound params and the profile's bytes.
/// `runbook plan` prints it; `runbook run --plan-digest D` refuses to start when it
/// differs, so what runs is what was reviewed.
///
/// Params must be bound with `ParamBinder` first, so defaults count and `5` and `"5"`
/// for an int param give the same digest.
public enum PlanDigest {
    /// `sha256:` + 64 lowercase hex digits.
    public static func compute(graph: RunbookGraph, params: [String: Value], profile: Profile?) -> String {
        compute(runbookDigests: graph.digests, params: params, profileDigest: profile?.digest)
    }

    /// - Parameters:
    ///   - runbookDigests: sha256 of each runbook's bytes (the main one and every nested one), by name.
    ///   - params: bound param values.
    ///   - profileDigest: sha256 of the profile's bytes, if a profile is used.
    public static func compute(runbookDigests: [String: String], params: [String: Value], profileDigest: String?) -> String {
        var text = "runbook-plan-digest/v1\n"
        for name in runbookDigests.keys.sorted() { text += "runbook \(name) \(runbookDigests[name] ?? "")\n" }
        for name in params.keys.sorted() { text += "param \(name)=\(canonical(params[name] ?? .null))\n" }
        text += "profile \(profileDigest ?? "-")\n"
        return "sha256:" + HexText.lowercase(SHA256.hash(data: Data(text.utf8)))
    }

    /// True when `given` names `digest`: the whole digest, or a prefix of at least 12 hex digits,
    /// with or without the `sha256:` prefix.
    public static func matches(_ given: String, _ digest: String) -> Bool {
        func hex(_ s: String) -> String {
            let t = s.lowercased().trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("sha256:") ? String(t.dropFirst(7)) : t
        }
        let g = hex(given)
        return g.count >= 12 && hex(digest).hasPrefix(g)
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
