import Foundation

/// Reads one YAML mapping field by field, and reports what the loader did not
/// ask for as unknown keys (with "did you mean"). Collects diagnostics instead
/// of throwing, so one pass reports every problem.
struct MappingReader {
    let node: YNode
    let context: String
    let pairs: [YPair]
    /// Per pair: whether the loader asked for its key, as bits (and an array past 64 pairs).
    /// Not a set of names: loading runs for every step of every runbook, and hashing
    /// (or allocating) per key showed.
    private var readBits: UInt64 = 0
    private var readBeyond64: [Bool] = []
    var diagnostics: [Diagnostic] = []

    /// Nil (after a diagnostic) when `node` is not a mapping.
    init?(_ node: YNode, context: String, diagnostics: inout [Diagnostic]) {
        guard let pairs = node.mapping else {
            diagnostics.append(.error(.type, "\(context) must be a mapping, got \(node.kindName)", at: node.location))
            return nil
        }
        self.node = node
        self.context = context
        self.pairs = pairs
        if pairs.count > 64 { readBeyond64 = Array(repeating: false, count: pairs.count - 64) }
    }

    private func wasRead(_ i: Int) -> Bool {
        i < 64 ? readBits & (1 << UInt64(i)) != 0 : readBeyond64[i - 64]
    }

    mutating func node(_ key: String) -> YNode? {
        pair(key)?.value
    }

    mutating func pair(_ key: String) -> YPair? {
        var found: YPair?
        for i in pairs.indices where pairs[i].key == key {
            if i < 64 { readBits |= 1 << UInt64(i) } else { readBeyond64[i - 64] = true }
            if found == nil { found = pairs[i] }
        }
        return found
    }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let v = node(key) else {
            if required {
                diagnostics.append(.error(.missingKey, "\(context) needs \"\(key)\"", at: node.location))
            }
            return nil
        }
        guard let s = v.scalar, !v.isNull else {
            diagnostics.append(.error(.type, "\"\(key)\" must be a string, got \(v.kindName)", at: v.location))
            return nil
        }
        return s
    }

    mutating func templated(_ key: String) -> Templated? {
        guard let v = node(key) else { return nil }
        guard let s = v.scalar, !v.isNull else {
            diagnostics.append(.error(.type, "\"\(key)\" must be a string, got \(v.kindName)", at: v.location))
            return nil
        }
        return Templated(s, at: v.location, valueColumn: v.valueColumn)
    }

    mutating func int(_ key: String, min: Int? = nil) -> Int? {
        guard let v = node(key) else { return nil }
        guard let s = v.scalar, let i = Int(s) else {
            diagnostics.append(.error(.type, "\"\(key)\" must be an integer, got \(Self.quoteValue(v))", at: v.location))
            return nil
        }
        if let min, i < min {
            diagnostics.append(.error(.range, "\"\(key)\" must be at least \(min), got \(i)", at: v.location))
            return nil
        }
        return i
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let v = node(key) else { return nil }
        switch v.scalar {
        case "true"?, "True"?, "yes"?: return true
        case "false"?, "False"?, "no"?: return false
        default:
            diagnostics.append(.error(.type, "\"\(key)\" must be true or false, got \(Self.quoteValue(v))", at: v.location))
            return nil
        }
    }

    mutating func duration(_ key: String) -> Double? {
        guard let v = node(key) else { return nil }
        guard let s = v.scalar, let d = Duration.parseSeconds(s) else {
            diagnostics.append(.error(.type, "\"\(key)\" must be a duration like 30s, 5m or 1h, got \(Self.quoteValue(v))", at: v.location))
            return nil
        }
        return d
    }

    mutating func stringList(_ key: String) -> [Named]? {
        guard let v = node(key) else { return nil }
        guard let items = v.sequence else {
            diagnostics.append(.error(.type, "\"\(key)\" must be a list, got \(v.kindName)", at: v.location))
            return nil
        }
        var out: [Named] = []
        for item in items {
            guard let s = item.scalar, !item.isNull else {
                diagnostics.append(.error(.type, "items of \"\(key)\" must be strings, got \(item.kindName)", at: item.location))
                continue
            }
            out.append(Named(s, at: item.location))
        }
        return out
    }

    /// Reports keys that were never read, with the valid ones (`known`) listed.
    mutating func finish(known valid: [String]) {
        for (i, pair) in pairs.enumerated() where !wasRead(i) {
            let hint = Suggestions.didYouMean(pair.key, in: valid)
            // Keys are quoted cut short: a hostile file may hold a megabyte-long key.
            let shown = pair.key.count > 80 ? String(pair.key.prefix(80)) + "..." : pair.key
            diagnostics.append(.error(.unknownKey, "unknown key \"\(shown)\" in \(context)\(hint)",
                                      at: pair.keyLocation, length: pair.key.count,
                                      notes: ["valid keys: " + valid.sorted().joined(separator: ", ")]))
        }
    }

    static func quoteValue(_ node: YNode) -> String {
        if let s = node.scalar { return "\"\(s)\"" }
        return node.kindName
    }
}
