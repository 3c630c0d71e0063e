import Foundation

/// Renders diagnostics for people (gcc style, optionally with the source line and a
/// caret underline) and for programs (JSON with documented, stable fields).
public enum DiagnosticRenderer {
    /// `file:line:col: error: message [rule]`, then with `caret` the source line and a
    /// `^~~~` underline of the diagnostic's length, then one `note: ...` line per note.
    /// `sources` maps a file path to its text; diagnostics of other files get no caret.
    public static func text(_ diags: [Diagnostic], sources: [String: String], caret: Bool, color: Bool) -> String {
        var lineCache: [String: [Substring]] = [:]
        var scalarCache: [SourceLocation: [Unicode.Scalar]] = [:]
        var out = ""
        let style = Style(enabled: color)
        for d in diags {
            let location = d.location.map { style.bold("\($0): ") } ?? ""
            out += location + style.severity(d.severity) + style.bold(" \(d.message)") + " [\(d.rule)]\n"
            if caret, let loc = d.location, let text = sources[loc.file] {
                if lineCache[loc.file] == nil { lineCache[loc.file] = text.split(separator: "\n", omittingEmptySubsequences: false) }
                if let lines = lineCache[loc.file], loc.line >= 1, loc.line <= lines.count {
                    let key = SourceLocation(file: loc.file, line: loc.line, column: 0)
                    if scalarCache[key] == nil {
                        var scalars = Array(lines[loc.line - 1].unicodeScalars)
                        if scalars.last == "\r" { scalars.removeLast() }
                        scalarCache[key] = scalars
                    }
                    let (line, mark) = excerpt(scalarCache[key] ?? [], column: loc.column, length: d.length)
                    out += line + "\n" + style.green(mark) + "\n"
                }
            }
            for note in d.notes {
                out += style.note() + " \(note)\n"
            }
        }
        return out
    }

    /// The source line and its `^~~~` underline. Tabs are kept in the padding so the caret
    /// lines up; lines longer than `width` are cut to a window around the column (a minified
    /// or hostile file can have a megabyte on one line).
    static func excerpt(_ scalars: [Unicode.Scalar], column: Int, length: Int, width: Int = 160) -> (String, String) {
        let start = max(0, min(column - 1, scalars.count))
        var from = 0, to = scalars.count
        if scalars.count > width {
            from = max(0, start - width / 2)
            to = min(scalars.count, from + width)
        }
        var line = from > 0 ? "..." : ""
        var pad = from > 0 ? "   " : ""
        for s in scalars[from..<to] { line.unicodeScalars.append(s) }
        if to < scalars.count { line += "..." }
        for s in scalars[from..<start] { pad += s == "\t" ? "\t" : " " }
        let available = max(1, to - start)
        let span = max(1, min(length, available))
        return (line, pad + "^" + String(repeating: "~", count: span - 1))
    }

    /// A JSON object: `{"diagnostics": [...], "errors": N, "warnings": N, "valid": bool}`.
    /// Each diagnostic has `file`, `line`, `column` (null without a location), `severity`,
    /// `rule`, `message` and `notes` (a list of strings).
    public static func json(_ diags: [Diagnostic]) -> String {
        let items: [JSONValue] = diags.map { d in
            [
                "file": d.location.map { .string($0.file) } ?? .null,
                "line": d.location.map { .int($0.line) } ?? .null,
                "column": d.location.map { .int($0.column) } ?? .null,
                "severity": .string(d.severity.rawValue),
                "rule": .string(d.rule),
                "message": .string(d.message),
                "notes": .array(d.notes.map { .string($0) }),
            ]
        }
        let errors = diags.filter { $0.severity == .error }.count
        let warnings = diags.filter { $0.severity == .warning }.count
        let doc: JSONValue = ["diagnostics": .array(items), "errors": .int(errors), "warnings": .int(warnings), "valid": .bool(errors == 0)]
        return doc.pretty + "\n"
    }

    struct Style {
        var enabled: Bool
        func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        func bold(_ s: String) -> String { wrap(s, "1") }
        func green(_ s: String) -> String { wrap(s, "1;32") }
        func severity(_ s: Severity) -> String {
            switch s {
            case .error: return wrap("error:", "1;31")
            case .warning: return wrap("warning:", "1;35")
            case .note: return wrap("note:", "1;36")
            }
        }
        func note() -> String { wrap("note:", "1;36") }
    }
}
