import Foundation

/// Small helpers so every rule words its notes the same way.
enum Notes {
    /// `valid actions: a, b, c`, or `fallback` when there is nothing to list.
    static func list(_ label: String, _ items: [String], orElse fallback: String? = nil) -> [String] {
        if items.isEmpty { return fallback.map { [$0] } ?? [] }
        return ["\(label): " + items.joined(separator: ", ")]
    }

    /// `"x"` for messages; long values are cut so a 1 MB scalar does not become a 1 MB line.
    static func quote(_ s: String) -> String {
        let limit = 80
        let shown = s.count > limit ? String(s.prefix(limit)) + "..." : s
        return "\"" + shown.replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// A node's value for messages: its scalar quoted, or its kind.
    static func quote(_ node: YNode) -> String {
        if node.isNull { return "null" }
        if let s = node.scalar { return quote(s) }
        return node.kindName
    }

    /// How many columns the caret should underline for a scalar node.
    static func length(_ node: YNode) -> Int {
        guard node.valueColumn != nil, let s = node.scalar else { return 1 }
        return s.unicodeScalars.count
    }

    /// Where a scalar's value starts (inside quotes when the value is verbatim).
    static func valueLocation(_ node: YNode) -> SourceLocation {
        node.location(atValueOffset: 0)
    }
}
