import Foundation

/// A `${...}` reference. Expressions are references, not a language:
///
/// - `params.NAME`, `secrets.NAME`, `steps.ID.outputs.NAME`
/// - `run.id`, `run.started_at`
/// - a loop variable, named by the step's `as:` (e.g. `db`)
/// - any of these with a time format: `${run.started_at|%Y%m%d-%H%M%S}` (strftime, UTC)
public enum Reference: Sendable, Hashable, CustomStringConvertible {
    case param(String)
    case secret(String)
    case stepOutput(step: String, output: String)
    case run(String)
    case loop(String)

    public var description: String {
        switch self {
        case .param(let n): return "params.\(n)"
        case .secret(let n): return "secrets.\(n)"
        case .stepOutput(let s, let o): return "steps.\(s).outputs.\(o)"
        case .run(let n): return "run.\(n)"
        case .loop(let n): return n
        }
    }

    public static let runFields = ["id", "started_at", "state_dir"]
}

/// A string split into literal text and references.
public struct Template: Sendable, Hashable {
    public enum Part: Sendable, Hashable {
        case literal(String)
        /// `offset` is the character offset of `${` within the string, for column reporting.
        case reference(Reference, format: String?, offset: Int, length: Int)
    }

    public var parts: [Part]

    public struct ParseError: Error, Sendable, Hashable {
        public var message: String
        public var offset: Int
    }

    /// Parses `text`; `$${` escapes a literal `${`.
    public static func parse(_ text: String) -> Result<Template, ParseError> {
        var parts: [Part] = []
        var literal = ""
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                literal += "${"
                i += 3
                continue
            }
            if chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{" {
                guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                    return .failure(ParseError(message: "unterminated \"${\"", offset: i))
                }
                let body = trimmed(chars[(i + 2)..<close])
                var path = body
                var format: String?
                if let bar = body.firstIndex(of: "|") {
                    path = trimmed(body[..<bar])
                    format = trimmed(body[body.index(after: bar)...])
                }
                switch parseReference(path) {
                case .success(let ref):
                    if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                    parts.append(.reference(ref, format: format, offset: i, length: close - i + 1))
                case .failure(let error):
                    return .failure(ParseError(message: error.message, offset: i))
                }
                i = close + 1
                continue
            }
            literal.append(chars[i])
            i += 1
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return .success(Template(parts: parts))
    }

    /// Spaces and tabs (and other Unicode space separators) cut from both ends, as
    /// `trimmingCharacters(in: .whitespaces)` does, without Foundation's cost per call.
    static func trimmed<S: Collection>(_ s: S) -> String where S.Element == Character {
        func isSpace(_ c: Character) -> Bool {
            c == " " || c == "\t" || (c.unicodeScalars.count == 1 && c.unicodeScalars.first?.properties.generalCategory == .spaceSeparator)
        }
        guard let first = s.firstIndex(where: { !isSpace($0) }) else { return "" }
        var last = first
        var i = first
        while i != s.endIndex {
            if !isSpace(s[i]) { last = i }
            i = s.index(after: i)
        }
        return String(s[first...last])
    }

    static func parseReference(_ path: String) -> Result<Reference, ReferenceError> {
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let isName: (String) -> Bool = { s in
            !s.isEmpty && s.utf8.allSatisfy { b in
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): return true
                default: return b >= 0x80  // non-ASCII: decided below by Unicode properties
                }
            } && s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
        guard !path.isEmpty, segments.allSatisfy(isName) else {
            return .failure(ReferenceError("malformed reference \"${\(path)}\""))
        }
        switch segments[0] {
        case "params" where segments.count == 2: return .success(.param(segments[1]))
        case "secrets" where segments.count == 2: return .success(.secret(segments[1]))
        case "run" where segments.count == 2: return .success(.run(segments[1]))
        case "steps" where segments.count == 4 && segments[2] == "outputs":
            return .success(.stepOutput(step: segments[1], output: segments[3]))
        case "params", "secrets", "run", "steps":
            return .failure(ReferenceError("malformed reference \"${\(path)}\"; expected \(expectedShape(segments[0]))"))
        default:
            if segments.count == 1 { return .success(.loop(segments[0])) }
            return .failure(ReferenceError("unknown reference \"${\(path)}\"; references start with params., secrets., steps., run. or name a loop variable"))
        }
    }

    private static func expectedShape(_ head: String) -> String {
        switch head {
        case "steps": return "${steps.<id>.outputs.<name>}"
        default: return "${\(head).<name>}"
        }
    }

    /// All references, in order.
    public var references: [Reference] {
        parts.compactMap { if case .reference(let r, _, _, _) = $0 { return r }; return nil }
    }

    /// True when the whole string is one reference with no format, so the
    /// referenced value (e.g. a list) is used as is instead of being stringified.
    public var singleReference: Reference? {
        if parts.count == 1, case .reference(let r, nil, _, _) = parts[0] { return r }
        return nil
    }
}

struct ReferenceError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
