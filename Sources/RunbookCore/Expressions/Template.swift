import Foundation

/// A `${...}` reference. Expressions are references, not a language:
///
/// - `params.NAME`, `secrets.NAME`, `steps.ID.outputs.NAME`
/// - `run.id`, `run.started_at`
/// - `targets.GROUP.members`: the member target names of a profile's group, a list
/// - a loop variable, named by the step's `as:` (e.g. `db`)
/// - any of these with a time format: `${run.started_at|%Y%m%d-%H%M%S}` (strftime, UTC)
public enum Reference: Sendable, Hashable, CustomStringConvertible {
    case param(String)
    case secret(String)
    case stepOutput(step: String, output: String)
    case run(String)
    case loop(String)
    /// `targets.NAME.members`: the members of the profile's group target `NAME`.
    case groupMembers(String)

    public var description: String {
        switch self {
        case .param(let n): return "params.\(n)"
        case .secret(let n): return "secrets.\(n)"
        case .stepOutput(let s, let o): return "steps.\(s).outputs.\(o)"
        case .run(let n): return "run.\(n)"
        case .loop(let n): return n
        case .groupMembers(let n): return "targets.\(n).members"
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
        let utf8 = Array(text.utf8)
        if utf8.allSatisfy({ $0 < 0x80 }) { return parseASCII(utf8) }
        return parseScalars(text)
    }

    /// `parse` for any text (tests compare it with `parseASCII` on ASCII text).
    static func parseScalars(_ text: String) -> Result<Template, ParseError> {
        // Scans unicode scalars (no grapheme breaking: this runs for every value of every
        // runbook), then reports offsets in Characters, as `Part` documents.
        let scalars = Array(text.unicodeScalars)
        let characterOffset = CharacterOffsets(text, scalarCount: scalars.count)
        var parts: [Part] = []
        var literal = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == "$", i + 2 < scalars.count, scalars[i + 1] == "$", scalars[i + 2] == "{" {
                literal.append(contentsOf: "${".unicodeScalars)
                i += 3
                continue
            }
            if scalars[i] == "$", i + 1 < scalars.count, scalars[i + 1] == "{" {
                guard let close = scalars[(i + 2)...].firstIndex(of: "}") else {
                    return .failure(ParseError(message: "unterminated \"${\"", offset: characterOffset[i]))
                }
                let body = scalars[(i + 2)..<close]
                var path = trimmed(body)
                var format: String?
                if let bar = body.firstIndex(of: "|") {
                    path = trimmed(body[..<bar])
                    format = trimmed(body[(bar + 1)...])
                }
                switch parseReference(path) {
                case .success(let ref):
                    if !literal.isEmpty { parts.append(.literal(String(literal))); literal = String.UnicodeScalarView() }
                    let start = characterOffset[i]
                    parts.append(.reference(ref, format: format, offset: start, length: characterOffset[close + 1] - start))
                case .failure(let error):
                    return .failure(ParseError(message: error.message, offset: characterOffset[i]))
                }
                i = close + 1
                continue
            }
            literal.append(scalars[i])
            i += 1
        }
        if !literal.isEmpty { parts.append(.literal(String(literal))) }
        return .success(Template(parts: parts))
    }

    /// `parse` for all-ASCII text, over bytes: one byte is one scalar and one character
    /// offset, and no Unicode machinery runs for the usual value.
    static func parseASCII(_ bytes: [UInt8]) -> Result<Template, ParseError> {
        let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), bar = UInt8(ascii: "|")
        var parts: [Part] = []
        var literal: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == dollar, i + 2 < bytes.count, bytes[i + 1] == dollar, bytes[i + 2] == open {
                literal.append(dollar)
                literal.append(open)
                i += 3
                continue
            }
            if bytes[i] == dollar, i + 1 < bytes.count, bytes[i + 1] == open {
                guard let end = bytes[(i + 2)...].firstIndex(of: close) else {
                    return .failure(ParseError(message: "unterminated \"${\"", offset: i))
                }
                let body = bytes[(i + 2)..<end]
                var path = trimmedASCII(body)
                var format: String?
                if let barIndex = body.firstIndex(of: bar) {
                    path = trimmedASCII(body[..<barIndex])
                    format = trimmedASCII(body[(barIndex + 1)...])
                }
                switch parseReference(path) {
                case .success(let ref):
                    if !literal.isEmpty {
                        parts.append(.literal(String(decoding: literal, as: UTF8.self)))
                        literal.removeAll(keepingCapacity: true)
                    }
                    parts.append(.reference(ref, format: format, offset: i, length: end + 1 - i))
                case .failure(let error):
                    return .failure(ParseError(message: error.message, offset: i))
                }
                i = end + 1
                continue
            }
            literal.append(bytes[i])
            i += 1
        }
        if !literal.isEmpty { parts.append(.literal(String(decoding: literal, as: UTF8.self))) }
        return .success(Template(parts: parts))
    }

    /// `trimmed` for ASCII bytes: the only ASCII space separators are space and tab.
    private static func trimmedASCII(_ s: ArraySlice<UInt8>) -> String {
        let isSpace = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: s[first...last], as: UTF8.self)
    }

    /// Scalar index to Character index; the identity for the usual all-ASCII text.
    private struct CharacterOffsets {
        private let table: [Int]?
        init(_ text: String, scalarCount: Int) {
            if text.utf8.allSatisfy({ $0 < 0x80 }) {
                table = nil
                return
            }
            var t: [Int] = []
            t.reserveCapacity(scalarCount + 1)
            var n = 0
            for c in text {
                for _ in c.unicodeScalars { t.append(n) }
                n += 1
            }
            t.append(n)
            table = t
        }
        subscript(scalarIndex: Int) -> Int {
            guard let table else { return scalarIndex }
            return table[min(scalarIndex, table.count - 1)]
        }
    }

    /// Spaces and tabs (and other Unicode space separators) cut from both ends, as
    /// `trimmingCharacters(in: .whitespaces)` does, without Foundation's cost per call.
    static func trimmed(_ s: ArraySlice<Unicode.Scalar>) -> String {
        func isSpace(_ c: Unicode.Scalar) -> Bool {
            c == " " || c == "\t" || (c.value >= 0x80 && c.properties.generalCategory == .spaceSeparator)
        }
        guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) }) else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s[first...last])
        return String(out)
    }

    static func parseReference(_ path: String) -> Result<Reference, ReferenceError> {
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let isName: (String) -> Bool = { s in
            guard !s.isEmpty else { return false }
            // Bytes for the usual ASCII name; Unicode properties only for other text.
            guard s.utf8.allSatisfy({ $0 < 0x80 }) else {
                return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            }
            return s.utf8.allSatisfy { b in
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): return true
                default: return false
                }
            }
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
        case "targets" where segments.count == 3 && segments[2] == "members": return .success(.groupMembers(segments[1]))
        case "params", "secrets", "run", "steps", "targets":
            return .failure(ReferenceError("malformed reference \"${\(path)}\"; expected \(expectedShape(segments[0]))"))
        default:
            if segments.count == 1 { return .success(.loop(segments[0])) }
            return .failure(ReferenceError("unknown reference \"${\(path)}\"; references start with params., secrets., steps., run., targets. or name a loop variable"))
        }
    }

    private static func expectedShape(_ head: String) -> String {
        switch head {
        case "steps": return "${steps.<id>.outputs.<name>}"
        case "targets": return "${targets.<group>.members}"
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
