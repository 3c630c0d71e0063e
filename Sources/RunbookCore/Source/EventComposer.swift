import CYaml
import Foundation

/// Builds the `YNode` tree straight from libyaml's parse events, in one pass, for the
/// common case: a well-formed, single-document file within the limits.
///
/// Composing a `Yams.Node` tree first and converting it afterwards cost about half of
/// `runbook validate` on large directories. This path declines (returns nil) on anything
/// unusual -- a syntax error, a duplicate key, a non-scalar or alias key, an undefined
/// alias, a second document, a limit reached -- and the caller then composes with Yams,
/// whose diagnostics are the reference. So it only has to agree with Yams on documents
/// Yams accepts, and it never has to produce a diagnostic itself.
enum EventComposer {
    static func compose(_ text: String, file: String, limits: YAMLDocument.Limits) -> YNode? {
        var text = text
        return text.withUTF8 { bytes in
            var state = State(file: file, limits: limits, source: SourceLines(bytes))
            return state.run(bytes)
        }
    }

    /// An open sequence or mapping and what it has collected so far.
    private struct Frame {
        var isMapping: Bool
        var location: SourceLocation
        var anchor: String?
        /// Value nodes counted (with aliases expanded) when this collection opened.
        var countAtStart: Int
        /// This collection's depth, and the deepest depth reached below it.
        var depth: Int
        var deepest: Int
        var items: [YNode] = []
        var pairs: [YPair] = []
        var pendingKey: String?
        var pendingKeyLocation = SourceLocation(file: "", line: 0, column: 0)
        /// Keys seen, once the mapping is too large for a linear duplicate search.
        var keySet: Set<String>?
    }

    /// An anchored node and its expanded size and height, to charge each alias to the limits.
    private struct Anchored {
        var node: YNode
        var size: Int
        var height: Int
    }

    private struct Declined: Error {}

    private struct State {
        let file: String
        let limits: YAMLDocument.Limits
        let source: SourceLines
        var stack: [Frame] = []
        var anchors: [String: Anchored] = [:]
        /// Value nodes so far, counting every node an alias stands for, as `Converter` does.
        var count = 0
        var root: YNode?

        init(file: String, limits: YAMLDocument.Limits, source: SourceLines) {
            self.file = file
            self.limits = limits
            self.source = source
        }

        mutating func run(_ bytes: UnsafeBufferPointer<UInt8>) -> YNode? {
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var event = yaml_event_t()
            var documents = 0
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                do {
                    switch event.type {
                    case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
                        break
                    case YAML_DOCUMENT_START_EVENT:
                        documents += 1
                        if documents > 1 { return nil }
                    case YAML_STREAM_END_EVENT:
                        return root
                    case YAML_SCALAR_EVENT:
                        try scalar(event)
                    case YAML_ALIAS_EVENT:
                        try alias(event)
                    case YAML_SEQUENCE_START_EVENT:
                        try open(event, isMapping: false, anchor: event.data.sequence_start.anchor)
                    case YAML_MAPPING_START_EVENT:
                        try open(event, isMapping: true, anchor: event.data.mapping_start.anchor)
                    case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                        try close()
                    default:
                        return nil
                    }
                } catch {
                    return nil
                }
            }
        }

        func location(_ mark: yaml_mark_t) -> SourceLocation {
            SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }

        var expectsKey: Bool {
            // Through the subscript, not `stack.last`: a copy of the frame would retain its arrays.
            let top = stack.count - 1
            return top >= 0 && stack[top].isMapping && stack[top].pendingKey == nil
        }

        /// Counts one value node at depth `depth` spanning `height` more levels of `size` nodes.
        mutating func charge(size: Int, depth: Int, height: Int) throws {
            count += size
            if count > limits.maxNodes || depth + height > limits.maxDepth { throw Declined() }
            if !stack.isEmpty { stack[stack.count - 1].deepest = max(stack[stack.count - 1].deepest, depth + height) }
        }

        mutating func scalar(_ event: yaml_event_t) throws {
            let data = event.data.scalar
            let raw = UnsafeBufferPointer(start: data.value, count: data.length)
            // Yams reads values with Foundation, which may treat a leading BOM specially.
            if raw.count >= 3, raw[0] == 0xEF, raw[1] == 0xBB, raw[2] == 0xBF { throw Declined() }
            guard let value = StrictUTF8.decode(raw) else { throw Declined() }
            let loc = location(event.start_mark)
            if expectsKey {
                if data.anchor != nil { throw Declined() }
                try addKey(value, at: loc)
                return
            }
            try charge(size: 1, depth: stack.count, height: 0)
            let style = data.style
            let quoted = style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                || style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE
            var column: Int?
            if style == YAML_PLAIN_SCALAR_STYLE || style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE {
                column = source.verbatimColumn(value, at: loc, skip: style == YAML_PLAIN_SCALAR_STYLE ? 0 : 1)
            }
            let block = style == YAML_LITERAL_SCALAR_STYLE ? source.literalBlockColumn(at: loc) : nil
            let node = YNode(.scalar(value, quoted: quoted), at: loc, valueColumn: column, blockColumn: block)
            if let anchor = data.anchor { anchors[String(cString: anchor)] = Anchored(node: node, size: 1, height: 0) }
            try add(node)
        }

        mutating func alias(_ event: yaml_event_t) throws {
            guard !expectsKey, let name = event.data.alias.anchor,
                  let target = anchors[String(cString: name)] else { throw Declined() }
            try charge(size: target.size, depth: stack.count, height: target.height)
            try add(target.node)
        }

        mutating func open(_ event: yaml_event_t, isMapping: Bool, anchor: UnsafeMutablePointer<yaml_char_t>?) throws {
            if expectsKey { throw Declined() }
            let depth = stack.count
            try charge(size: 1, depth: depth, height: 0)
            stack.append(Frame(isMapping: isMapping, location: location(event.start_mark),
                               anchor: anchor.map { String(cString: $0) }, countAtStart: count - 1,
                               depth: depth, deepest: depth))
        }

        mutating func close() throws {
            guard let frame = stack.popLast(), frame.pendingKey == nil else { throw Declined() }
            let node = frame.isMapping ? YNode(.mapping(frame.pairs), at: frame.location)
                                       : YNode(.sequence(frame.items), at: frame.location)
            if let anchor = frame.anchor {
                anchors[anchor] = Anchored(node: node, size: count - frame.countAtStart, height: frame.deepest - frame.depth)
            }
            if !stack.isEmpty { stack[stack.count - 1].deepest = max(stack[stack.count - 1].deepest, frame.deepest) }
            try add(node)
        }

        mutating func addKey(_ key: String, at loc: SourceLocation) throws {
            let top = stack.count - 1
            // Any two keys with the same text: Yams decides whether they clash (tags count).
            if stack[top].keySet == nil, stack[top].pairs.count >= 8 {
                stack[top].keySet = Set(stack[top].pairs.map(\.key))
            }
            if stack[top].keySet != nil {
                if !stack[top].keySet!.insert(key).inserted { throw Declined() }
            } else if stack[top].pairs.contains(where: { $0.key == key }) {
                throw Declined()
            }
            stack[top].pendingKey = key
            stack[top].pendingKeyLocation = loc
        }

        mutating func add(_ node: YNode) throws {
            guard !stack.isEmpty else {
                if root != nil { throw Declined() }
                root = node
                return
            }
            let top = stack.count - 1
            if stack[top].isMapping {
                guard let key = stack[top].pendingKey else { throw Declined() }
                stack[top].pairs.append(YPair(key: key, keyLocation: stack[top].pendingKeyLocation, value: node))
                stack[top].pendingKey = nil
            } else {
                stack[top].items.append(node)
            }
        }
    }
}
