import Foundation

/// An XML element as S3 sends it: a name, child elements and text. Attributes and
/// namespaces carry nothing S3 clients need, so they are skipped.
///
/// A small reader of our own instead of FoundationXML, which would tie the binary
/// to the host's libxml2; S3's replies are plain, machine-written XML.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var children: [XMLElement]
    public var text: String

    public init(name: String, children: [XMLElement] = [], text: String = "") {
        self.name = name
        self.children = children
        self.text = text
    }

    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    public func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child with that name.
    public func value(_ name: String) -> String? { child(name)?.text }
}

public struct XMLParseError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var offset: Int
    public var description: String { "malformed XML at byte \(offset): \(reason)" }
}

public enum S3XML {
    /// Parses a document and returns its root element.
    public static func parse(_ data: Data) throws -> XMLElement {
        var reader = Reader(bytes: [UInt8](data))
        return try reader.document()
    }

    /// Escapes text for an element body or attribute.
    public static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private struct Reader {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws -> XMLElement {
            // A UTF-8 byte order mark is allowed before the prolog.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
            try skipMisc()
            guard peek() == UInt8(ascii: "<") else { throw fail("expected the root element") }
            let root = try element(depth: 0)
            try skipMisc()
            guard i == bytes.count else { throw fail("unexpected content after the root element") }
            return root
        }

        /// Whitespace, the `<?xml ...?>` prolog, comments and a DOCTYPE outside the root.
        mutating func skipMisc() throws {
            while true {
                skipSpace()
                if starts("<?") { try skip(past: "?>") }
                else if starts("<!--") { try skip(past: "-->") }
                else if starts("<!DOCTYPE") { try skip(past: ">") }
                else { return }
            }
        }

        /// S3 replies nest three or four levels; the bound keeps a hostile reply from exhausting the stack.
        static let maxDepth = 32

        mutating func element(depth: Int) throws -> XMLElement {
            guard depth < Reader.maxDepth else { throw fail("elements nested deeper than \(Reader.maxDepth) levels") }
            i += 1  // "<"
            let name = localName(readName())
            guard !name.isEmpty else { throw fail("expected an element name") }
            try skipAttributes()
            if starts("/>") {
                i += 2
                return XMLElement(name: name)
            }
            guard peek() == UInt8(ascii: ">") else { throw fail("expected > after <\(name)") }
            i += 1
            var node = XMLElement(name: name)
            var text = [UInt8]()
            while true {
                guard i < bytes.count else { throw fail("element <\(name)> is not closed") }
                let c = bytes[i]
                if c != UInt8(ascii: "<") && c != UInt8(ascii: "&") {
                    text.append(c)
                    i += 1
                } else if c == UInt8(ascii: "&") {
                    text += try entity()
                } else if starts("</") {
                    i += 2
                    let closing = localName(readName())
                    guard closing == name else { throw fail("</\(closing)> closes <\(name)>") }
                    skipSpace()
                    guard peek() == UInt8(ascii: ">") else { throw fail("expected > after </\(closing)") }
                    i += 1
                    node.text = String(decoding: text, as: UTF8.self)
                    return node
                } else if starts("<!--") {
                    try skip(past: "-->")
                } else if starts("<![CDATA[") {
                    i += 9
                    let start = i
                    try skip(past: "]]>")
                    text += bytes[start..<(i - 3)]
                } else if starts("<?") {
                    try skip(past: "?>")
                } else {
                    node.children.append(try element(depth: depth + 1))
                }
            }
        }

        mutating func skipAttributes() throws {
            while i < bytes.count {
                skipSpace()
                let c = bytes[i]
                if c == UInt8(ascii: ">") || starts("/>") { return }
                guard !readName().isEmpty else { throw fail("expected an attribute name") }
                skipSpace()
                guard peek() == UInt8(ascii: "=") else { throw fail("expected = in an attribute") }
                i += 1
                skipSpace()
                guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                    throw fail("expected a quoted attribute value")
                }
                i += 1
                while i < bytes.count, bytes[i] != quote { i += 1 }
                guard i < bytes.count else { throw fail("attribute value is not closed") }
                i += 1
            }
            throw fail("tag is not closed")
        }

        mutating func entity() throws -> [UInt8] {
            guard let end = bytes[i...].firstIndex(of: UInt8(ascii: ";")), end - i <= 12 else {
                throw fail("unterminated entity")
            }
            let name = String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
            i = end + 1
            switch name {
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "amp": return [UInt8(ascii: "&")]
            case "quot": return [UInt8(ascii: "\"")]
            case "apos": return [UInt8(ascii: "'")]
            default:
                let code: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") { code = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { code = UInt32(name.dropFirst(1)) }
                else { code = nil }
                guard let c = code, let scalar = Unicode.Scalar(c) else { throw fail("unknown entity &\(name);") }
                return Array(String(Character(scalar)).utf8)
            }
        }

        mutating func readName() -> String {
            let start = i
            while i < bytes.count {
                let c = bytes[i]
                if isSpace(c) || c == UInt8(ascii: ">") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=") { break }
                i += 1
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        func localName(_ name: String) -> String {
            if let colon = name.lastIndex(of: ":") { return String(name[name.index(after: colon)...]) }
            return name
        }

        mutating func skip(past marker: String) throws {
            let m = Array(marker.utf8)
            while i + m.count <= bytes.count {
                if bytes[i..<(i + m.count)].elementsEqual(m) {
                    i += m.count
                    return
                }
                i += 1
            }
            throw fail("expected \(marker)")
        }

        mutating func skipSpace() {
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        }

        func starts(_ s: String) -> Bool {
            let m = Array(s.utf8)
            return i + m.count <= bytes.count && bytes[i..<(i + m.count)].elementsEqual(m)
        }

        func isSpace(_ c: UInt8) -> Bool {
            c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r")
        }

        func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

        func fail(_ reason: String) -> XMLParseError { XMLParseError(reason: reason, offset: i) }
    }
}
