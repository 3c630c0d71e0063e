import Foundation

/// Step ids appear in `${steps.ID...}`, file names and journals: lowercase letters,
/// digits, `-` and `_`, starting with a letter or digit.
public struct InvalidStepIDRule: Rule {
    public let name = RuleID.invalidStepID
    public init() {}

    public static func isValid(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, Self.head(first) else { return false }
        return id.unicodeScalars.allSatisfy { Self.head($0) || $0 == "-" || $0 == "_" }
    }

    private static func head(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("0"..."9").contains(c)
    }

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        context.facts(for: runbook).stepRefs.compactMap { ref in
            let id = ref.step.id
            guard !id.isEmpty, !Self.isValid(id) else { return nil }
            let suggestion = Self.suggest(id)
            return .error(name, "invalid step id \(Notes.quote(id)); ids use lowercase letters, digits, - and _, and start with a letter or digit"
                          + (suggestion.map { "; did you mean \"\($0)\"?" } ?? ""),
                          at: ref.step.idLocation, length: id.unicodeScalars.count)
        }
    }

    static func suggest(_ id: String) -> String? {
        var s = id.lowercased().map { c -> Character in
            c.isLetter || c.isNumber || c == "-" || c == "_" ? c : "-"
        }
        while let f = s.first, f == "-" || f == "_" { s.removeFirst() }
        let candidate = String(s)
        return isValid(candidate) ? candidate : nil
    }
}
