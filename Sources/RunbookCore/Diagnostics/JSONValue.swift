import Foundation

/// A JSON value with a deterministic rendering (sorted keys, 2-space indent), so
/// generated schemas and machine output are byte-for-byte stable across runs.
public indirect enum JSONValue: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var m: [String: JSONValue] = [:]
        for (k, v) in elements { m[k] = v }
        self = .object(m)
    }

    /// Pretty-printed with sorted keys and a 2-space indent, without a trailing newline.
    public var pretty: String {
        var out = ""
        write(to: &out, indent: 0, pretty: true)
        return out
    }

    /// One line, sorted keys.
    public var compact: String {
        var out = ""
        write(to: &out, indent: 0, pretty: false)
        return out
    }

    private func write(to out: inout String, indent: Int, pretty: Bool) {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        let newline = pretty ? "\n" : ""
        switch self {
        case .object(let m):
            if m.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (i, key) in m.keys.sorted().enumerated() {
                out += pad + Self.quote(key) + (pretty ? ": " : ":")
                m[key]!.write(to: &out, indent: indent + 1, pretty: pretty)
                out += (i + 1 < m.count ? "," : "") + newline
            }
            out += closePad + "}"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad
                item.write(to: &out, indent: indent + 1, pretty: pretty)
                out += (i + 1 < items.count ? "," : "") + newline
            }
            out += closePad + "]"
        case .string(let s): out += Self.quote(s)
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension Value {
    /// The value as JSON; secrets stay symbolic (`${secrets.NAME}`).
    public var json: JSONValue {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .bool(let b): return .bool(b)
        case .list(let items): return .array(items.map(\.json))
        case .map(let m): return .object(m.mapValues(\.json))
        case .secret: return .string(description)
        case .null: return .null
        }
    }
}
