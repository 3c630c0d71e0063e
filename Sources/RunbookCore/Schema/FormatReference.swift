import Foundation

/// The generated parts of docs/format.md: the key tables of params, steps and rto, every
/// target kind's keys, and the rule ids. Each sits between `<!-- BEGIN generated: NAME -->`
/// and `<!-- END generated: NAME -->`; the prose around them is written by hand.
/// `runbook schema format --output docs/format.md` rewrites them, and a test fails when the
/// committed file differs from what the declarations generate.
public enum FormatReference {
    public struct Section: Sendable {
        public var name: String
        public var markdown: String
    }

    public struct MissingMarker: Error, CustomStringConvertible {
        public var section: String
        public var description: String { "no \"\(FormatReference.begin(section))\" ... \"\(FormatReference.end(section))\" block to fill in" }
    }

    public static func begin(_ name: String) -> String { "<!-- BEGIN generated: \(name) (runbook schema format); do not edit -->" }
    public static func end(_ name: String) -> String { "<!-- END generated: \(name) -->" }

    public static func sections(kinds: TargetKindCatalog) -> [Section] {
        [
            Section(name: "params", markdown: table(RunbookFormat.param)),
            Section(name: "steps", markdown: table(RunbookFormat.step)),
            Section(name: "rto", markdown: table(RunbookFormat.rto)),
            Section(name: "targets", markdown: targets(kinds)),
            Section(name: "rules", markdown: rules()),
        ]
    }

    /// Every section with its markers, for printing.
    public static func render(kinds: TargetKindCatalog) -> String {
        sections(kinds: kinds).map { begin($0.name) + "\n" + $0.markdown + end($0.name) + "\n" }.joined(separator: "\n")
    }

    /// `document` with the text between each section's markers replaced by the generated text.
    public static func update(_ document: String, kinds: TargetKindCatalog) throws -> String {
        var text = document
        for section in sections(kinds: kinds) {
            guard let start = text.range(of: begin(section.name) + "\n"),
                  let stop = text.range(of: end(section.name), range: start.upperBound..<text.endIndex) else {
                throw MissingMarker(section: section.name)
            }
            text.replaceSubrange(start.upperBound..<stop.lowerBound, with: section.markdown)
        }
        return text
    }

    static func table(_ keys: [FormatKey]) -> String {
        "| property | meaning |\n|---|---|\n" + keys.map { "| `\($0.name)` | \(cell($0.doc)) |\n" }.joined()
    }

    static func targets(_ kinds: TargetKindCatalog) -> String {
        let names = kinds.names.map { "`\($0)`" }
        var out = "Each target has exactly one kind: " + names.joined(separator: ", ") + ".\n"
        for kind in kinds.kinds {
            out += "\n**`\(kind.name)`**: \(kind.summary)\n\n| key | type | meaning |\n|---|---|---|\n"
            if !kind.via.isEmpty {
                let ways = kind.via.enumerated().map { i, v in "`\(v.name)`\(i == 0 ? " (default)" : ""): \(v.summary)" }
                out += "| `via` | \(kind.via.map { "`\($0.name)`" }.joined(separator: " or ")) | how the target is reached. \(cell(ways.joined(separator: " "))) |\n"
            }
            for key in kind.keys {
                var meaning = key.summary
                if key.required { meaning = "Required. " + meaning }
                for via in kind.via {
                    switch (via.required.contains(key.name), via.keys.contains(key.name)) {
                    case (true, true): meaning += " Required with, and only with, `via: \(via.name)`."
                    case (true, false): meaning += " Required with `via: \(via.name)`."
                    case (false, true): meaning += " Only with `via: \(via.name)`."
                    case (false, false): break
                    }
                }
                if let d = key.defaultValue { meaning += " Default `\(d)`." }
                out += "| `\(key.name)` | \(key.type.docName) | \(cell(meaning)) |\n"
            }
        }
        return out
    }

    static func rules() -> String {
        "| rule | reports |\n|---|---|\n" + RuleID.allCases.map { "| `\($0.rawValue)` | \(cell($0.summary)) |\n" }.joined()
    }

    /// A table cell: no line breaks, and `|` escaped.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "\\|")
    }
}
