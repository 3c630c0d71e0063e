import Foundation

/// A resolved input value: what a `${...}` template or a YAML literal becomes once
/// params, secrets and loop variables are known.
public indirect enum Value: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([Value])
    case map([String: Value])
    /// A reference to a secret, kept symbolic so its value can only reach a child
    /// process through the environment (`EnvValue.secret`), never argv or output.
    case secret(String)
    case null

    public var description: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .list(let items): return items.map(\.description).joined(separator: ",")
        case .map(let m): return "{" + m.keys.sorted().map { "\($0): \(m[$0]!)" }.joined(separator: ", ") + "}"
        case .secret(let name): return "${secrets.\(name)}"
        case .null: return ""
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .string(let s): return Int(s)
        default: return nil
        }
    }
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s): return ["true", "yes", "on"].contains(s.lowercased()) ? true : ["false", "no", "off"].contains(s.lowercased()) ? false : nil
        default: return nil
        }
    }
    public var listValue: [Value]? { if case .list(let l) = self { return l }; return nil }
    public var mapValue: [String: Value]? { if case .map(let m) = self { return m }; return nil }
}
