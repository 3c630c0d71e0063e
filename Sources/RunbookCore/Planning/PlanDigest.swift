import Crypto
import Foundation

/// The digest `runbook plan` prints and `runbook run --plan-digest` checks: it covers
/// the bytes of the runbook and of every runbook it runs, the params, and the profile.
/// If any of them changes after review, the run refuses to start.
public enum PlanDigest {
    /// - Parameters:
    ///   - runbookDigests: sha256 of each runbook's bytes (the main one and every nested one), by name.
    ///   - params: bound param values.
    ///   - profileDigest: sha256 of the profile's bytes, if a profile is used.
    public static func compute(runbookDigests: [String: String], params: [String: Value], profileDigest: String?) -> String {
        var text = "runbook-plan-digest-v1\n"
        for name in runbookDigests.keys.sorted() { text += "runbook \(name) \(runbookDigests[name]!)\n" }
        for name in params.keys.sorted() { text += "param \(name)=\(canonical(params[name]!))\n" }
        text += "profile \(profileDigest ?? "-")\n"
        let hex = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        return "sha256:" + hex
    }

    /// Digests of the runbook and every runbook it reaches through `runbook.run`.
    public static func reachableRunbookDigests(_ runbook: Runbook, lookup: (String) -> Runbook?) -> [String: String] {
        var out: [String: String] = [:]
        var queue = [runbook]
        while let rb = queue.popLast() {
            guard out[rb.name] == nil else { continue }
            out[rb.name] = rb.digest
            for step in rb.steps + rb.onFailure {
                guard let call = step.action, call.name == Planner.nestedRunAction,
                      let name = call.input("runbook")?.scalar, let child = lookup(name) else { continue }
                queue.append(child)
            }
        }
        return out
    }

    // Local merge of branches `main` and `engine` (made on branch pitr so it builds; the lead
    // owns the real integration): `run`/`resume` (engine) call these; they use the same
    // digest as `plan` (main) for a runbook that runs no other runbook.

    /// The digest of one runbook's plan, as `run` and `resume` check it.
    public static func compute(runbook: Runbook, params: [String: Value], profile: Profile?) -> String {
        compute(runbookDigests: [runbook.name: runbook.digest], params: params, profileDigest: profile?.digest)
    }

    /// True when `given` names `digest`: the whole digest, or a prefix of at least 12 hex digits.
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
        case .list(let items): return "[" + items.map(canonical).joined(separator: ",") + "]"
        case .map(let m): return "{" + m.keys.sorted().map { "\($0):\(canonical(m[$0]!))" }.joined(separator: ",") + "}"
        case .string(let s): return "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        default: return v.description
        }
    }
}
