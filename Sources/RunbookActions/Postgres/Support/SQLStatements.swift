import Foundation

/// Splits SQL text as psql does: at `;` outside quotes, `$tag$` bodies and comments.
/// Comments are dropped; psql backslash lines are dropped when they are `\restrict` or
/// `\unrestrict` (pg_dump's guard against a tampered script) and refused otherwise.
enum SQLStatementSplitter {
    static let allowedMetaCommands: Set<String> = ["\\restrict", "\\unrestrict"]

    /// Each statement without its `;`, trimmed, with the line it starts on.
    static func split(_ text: String) throws -> [(String, Int)] {
        var out: [(String, Int)] = []
        var current = ""
        var startLine = 0
        let chars = Array(text.unicodeScalars)
        var i = 0
        // Lines are counted up to `i` as it only moves forward.
        var counted = (index: 0, line: 1)
        func line() -> Int {
            while counted.index < i && counted.index < chars.count {
                if chars[counted.index] == "\n" { counted.line += 1 }
                counted.index += 1
            }
            return counted.line
        }
        func peek(_ offset: Int) -> Unicode.Scalar? { i + offset < chars.count ? chars[i + offset] : nil }
        func append(_ c: Unicode.Scalar) {
            if current.isEmpty && c.properties.isWhitespace { return }
            if current.isEmpty { startLine = line() }
            current.unicodeScalars.append(c)
        }
        func skipLine() {
            while i < chars.count && chars[i] != "\n" { i += 1 }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "-" && peek(1) == "-" {
                skipLine()
                continue
            }
            if c == "\\" && current.isEmpty {
                var word = ""
                var j = i
                while j < chars.count && !chars[j].properties.isWhitespace { word.unicodeScalars.append(chars[j]); j += 1 }
                guard allowedMetaCommands.contains(word) else {
                    throw GlobalsScript.ParseError(description: "line \(line()): psql command \(word) is not part of a globals dump; refusing to run it")
                }
                skipLine()
                continue
            }
            if c == ";" {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { out.append((statement, startLine)) }
                current = ""
                i += 1
                continue
            }
            if c == "'" || c == "\"" {
                // A quoted literal or identifier; a doubled quote inside is part of it.
                append(c)
                i += 1
                while i < chars.count {
                    append(chars[i])
                    if chars[i] == c {
                        if peek(1) == c { i += 1; append(chars[i]) } else { break }
                    }
                    i += 1
                }
                i += 1
                continue
            }
            if c == "$", let tag = dollarTag(chars, at: i) {
                for s in tag.unicodeScalars { append(s) }
                i += tag.unicodeScalars.count
                while i < chars.count && !matches(chars, at: i, tag) { append(chars[i]); i += 1 }
                for s in tag.unicodeScalars where i < chars.count { append(s); i += 1 }
                continue
            }
            append(c)
            i += 1
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty {
            throw GlobalsScript.ParseError(description: "line \(startLine): the script ends inside a statement (no closing ;): it is truncated")
        }
        return out
    }

    /// `$$` or `$tag$` starting at `i`, if one does.
    static func dollarTag(_ chars: [Unicode.Scalar], at i: Int) -> String? {
        var j = i + 1
        var tag = "$"
        while j < chars.count, chars[j] == "_" || chars[j].properties.isAlphabetic || (j > i + 1 && ("0"..."9").contains(chars[j])) {
            tag.unicodeScalars.append(chars[j])
            j += 1
        }
        guard j < chars.count, chars[j] == "$" else { return nil }
        return tag + "$"
    }

    static func matches(_ chars: [Unicode.Scalar], at i: Int, _ tag: String) -> Bool {
        let t = Array(tag.unicodeScalars)
        guard i + t.count <= chars.count else { return false }
        return Array(chars[i..<(i + t.count)]) == t
    }
}

/// The tokens of one statement: `words` for matching keywords (bare words lowercased;
/// quoted identifiers and literals never match one) and `names` for the identifiers
/// (bare words folded to lower case as PostgreSQL does, quoted ones as written).
struct SQLTokens {
    private(set) var words: [String] = []
    private(set) var names: [String] = []

    init(_ statement: String) {
        let chars = Array(statement.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.properties.isWhitespace { i += 1; continue }
            if c == "\"" || c == "'" {
                var value = ""
                i += 1
                while i < chars.count {
                    if chars[i] == c {
                        if i + 1 < chars.count && chars[i + 1] == c { value.unicodeScalars.append(c); i += 2; continue }
                        break
                    }
                    value.unicodeScalars.append(chars[i])
                    i += 1
                }
                i += 1
                words.append(String(c))
                names.append(value)
                continue
            }
            if c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c) {
                var word = ""
                while i < chars.count, chars[i] == "_" || chars[i] == "$" || chars[i].properties.isAlphabetic || ("0"..."9").contains(chars[i]) {
                    word.unicodeScalars.append(chars[i])
                    i += 1
                }
                words.append(word.lowercased())
                names.append(word.lowercased())
                continue
            }
            words.append(String(c))
            names.append(String(c))
            i += 1
        }
    }

    /// The comma-separated names after token `index`, up to `WITH`, `GRANTED` or the end.
    func list(after index: Int) -> [String] {
        var out: [String] = []
        var i = index + 1
        while i < words.count, words[i] != "with", words[i] != "granted" {
            if words[i] != "," { out.append(names[i]) }
            i += 1
        }
        return out
    }
}
