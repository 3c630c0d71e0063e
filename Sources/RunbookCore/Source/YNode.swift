import Foundation

/// A YAML node that remembers where it came from, so every later diagnostic can point at it.
///
/// We build this small tree once, with limits (from libyaml's events, or from Yams' `Node`
/// for unusual documents), instead of walking `Yams.Node` everywhere: aliases are charged
/// to a node budget as they are expanded, which is what keeps "billion laughs" documents bounded.
public struct YNode: Sendable, Hashable {
    public indirect enum Kind: Sendable, Hashable {
        case scalar(String, quoted: Bool)
        case sequence([YNode])
        case mapping([YPair])
    }

    public var kind: Kind
    public var location: SourceLocation
    /// The explicit tag, when the author wrote one (e.g. `!!str`); nil for plain nodes.
    public var tag: String?
    /// For a scalar whose value is written verbatim on one source line (no escapes, no
    /// folding): the column of its first character, after an opening quote. Diagnostics
    /// use it to point inside the value (at a `${`); nil means "point at the node".
    public var valueColumn: Int?
    /// For a literal block scalar (`|`, the usual way to write a script): the column where
    /// each of its lines starts. Its value's lines are the source lines after the `|`, as
    /// written, so a position inside the value has a line and column too.
    public var blockColumn: Int?

    public init(_ kind: Kind, at location: SourceLocation, tag: String? = nil, valueColumn: Int? = nil, blockColumn: Int? = nil) {
        self.kind = kind
        self.location = location
        self.tag = tag
        self.valueColumn = valueColumn
        self.blockColumn = blockColumn
    }

    /// True when positions inside the value can be located (`location(atValueOffset:)`).
    public var locatesInsideValue: Bool { valueColumn != nil || blockColumn != nil }

    /// The source location of the character `offset` unicode scalars into this scalar's
    /// value, when the value is verbatim on one line or a literal block; otherwise the node's own location.
    public func location(atValueOffset offset: Int) -> SourceLocation {
        if let blockColumn, let text = scalar {
            var line = 0, lineStart = 0
            for (i, c) in text.unicodeScalars.prefix(offset).enumerated() where c == "\n" {
                line += 1
                lineStart = i + 1
            }
            return SourceLocation(file: location.file, line: location.line + 1 + line, column: blockColumn + offset - lineStart)
        }
        guard let valueColumn else { return location }
        return SourceLocation(file: location.file, line: location.line, column: valueColumn + offset)
    }

    /// The scalar's text, if this is a scalar.
    public var scalar: String? {
        if case .scalar(let s, _) = kind { return s }
        return nil
    }

    /// True for an unquoted scalar that YAML treats as null (`~`, `null`, empty).
    public var isNull: Bool {
        if case .scalar(let s, let quoted) = kind, !quoted { return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }
        return false
    }

    public var sequence: [YNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [YPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value for a string key, if this is a mapping that has it.
    public subscript(key: String) -> YNode? {
        mapping?.first { $0.key == key }?.value
    }

    /// A short human name for the node's kind, used in "expected X, got Y" messages.
    public var kindName: String {
        switch kind {
        case .scalar: return isNull ? "null" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` entry; keys are always scalars in our formats.
public struct YPair: Sendable, Hashable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: YNode

    public init(key: String, keyLocation: SourceLocation, value: YNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}
