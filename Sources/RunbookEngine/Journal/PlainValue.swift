import Foundation
import RunbookCore

/// A `Value` written as plain JSON (`"x"`, `5`, `true`, `[...]`, `{...}`, `null`),
/// for the journal and the audit trail, which people and `jq` read. A secret
/// reference is written as its `${secrets.NAME}` text, never a value.
public struct PlainValue: Codable, Sendable, Hashable {
    public var value: Value

    public init(_ value: Value) { self.value = value }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case .string(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .bool(let b): try c.encode(b)
        case .list(let items): try c.encode(items.map(PlainValue.init))
        case .map(let m): try c.encode(m.mapValues(PlainValue.init))
        case .secret: try c.encode(value.description)
        case .null: try c.encodeNil()
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = .null }
        else if let b = try? c.decode(Bool.self) { value = .bool(b) }
        else if let i = try? c.decode(Int.self) { value = .int(i) }
        else if let s = try? c.decode(String.self) { value = .string(s) }
        else if let l = try? c.decode([PlainValue].self) { value = .list(l.map(\.value)) }
        else { value = .map(try c.decode([String: PlainValue].self).mapValues(\.value)) }
    }
}

/// `[String: Value]` stored as plain JSON.
@propertyWrapper
public struct PlainValues: Codable, Sendable, Hashable {
    public var wrappedValue: [String: Value]

    public init(wrappedValue: [String: Value]) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(wrappedValue.mapValues(PlainValue.init))
    }

    public init(from decoder: Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode([String: PlainValue].self).mapValues(\.value)
    }
}
