import Foundation

/// `when:` is a simple condition, not a language: a reference (truthy), or
/// `A == B` / `A != B` where each side is text with references. Anything else
/// (`&&`, `<`, a lone `=`) would be silently compared as text at run time.
public struct WhenRule: Rule {
    public let name = RuleID.when
    public init() {}

    static let forms = ["${params.NAME}", "${params.NAME} == VALUE", "${params.NAME} != VALUE"]

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        context.facts(for: runbook).stepRefs.compactMap { ref in
            guard let when = ref.step.when else { return nil }
            guard let problem = Self.problem(when.text) else { return nil }
            let node = when.node
            return .error(name, "malformed when: \(Notes.quote(when.text)): \(problem)", at: Notes.valueLocation(node),
                          length: Notes.length(node), notes: Notes.list("forms", Self.forms))
        }
    }

    /// Why `text` is not a condition the evaluator understands, or nil.
    static func problem(_ text: String) -> String? {
        // Judge only the text outside references; `${...}` parse errors belong to [expression].
        let outside = stripReferences(text)
        if outside == nil { return nil }
        let rest = outside ?? ""
        let operators = occurrences(of: "==", in: rest) + occurrences(of: "!=", in: rest)
        if operators > 1 { return "use one == or != (conditions cannot be combined)" }
        for bad in ["&&", "||", "<", ">"] where rest.contains(bad) {
            return "\(Notes.quote(bad)) is not supported; only == and != compare"
        }
        let withoutOps = rest.replacingOccurrences(of: "==", with: "").replacingOccurrences(of: "!=", with: "")
        if withoutOps.contains("=") { return "a single \"=\" does not compare; did you mean \"==\"?" }
        if withoutOps.contains("!") { return "\"!\" is not supported; use != or compare with false" }
        if !text.utf8.containsReferenceStart { return "it has no ${...} reference, so it is always the same" }
        if operators == 1 {
            let op = text.range(of: "==") ?? text.range(of: "!=")
            if let op {
                let lhs = text[..<op.lowerBound].trimmingCharacters(in: .whitespaces)
                let rhs = text[op.upperBound...].trimmingCharacters(in: .whitespaces)
                if lhs.isEmpty || rhs.isEmpty { return "both sides of \(text[op]) need a value (write \"\" for empty)" }
            }
        }
        return nil
    }

    /// The text with `${...}` references removed; nil when a reference is unterminated.
    private static func stripReferences(_ text: String) -> String? {
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            if text[i...].hasPrefix("$${") { out += "  "; i = text.index(i, offsetBy: 3); continue }
            if text[i...].hasPrefix("${") {
                guard let close = text[i...].firstIndex(of: "}") else { return nil }
                out += " "
                i = text.index(after: close)
                continue
            }
            out.append(text[i])
            i = text.index(after: i)
        }
        return out
    }

    private static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }
}
