import CYaml
import Foundation

/// Finds the second occurrence of a duplicated mapping key.
///
/// Yams reports a duplicate key at its first occurrence, which is the one line of the
/// mapping that is not wrong. This walks libyaml's events once more (only on that error
/// path) to find the later occurrence in the same mapping, so the diagnostic can point at
/// the line to delete and name the first one in a note.
enum DuplicateKeyLocator {
    struct Duplicate: Equatable {
        var key: String
        var first: SourceLocation
        var second: SourceLocation
    }

    /// The occurrence that repeats the key written at `first` (where Yams reported it), or
    /// nil when `first` starts no repeated key: then Yams' location is all there is.
    static func repeatOf(keyAt first: SourceLocation, in text: String) -> Duplicate? {
        duplicates(in: text).first { $0.first.line == first.line && $0.first.column == first.column }
    }

    /// Every key that repeats an earlier key of its mapping, with that earlier key, in
    /// document order, up to the first syntax error.
    static func duplicates(in text: String, file: String = "") -> [Duplicate] {
        var text = text
        return text.withUTF8 { bytes in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return [] }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var walk = Walk(file: file)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                walk.consume(event)
            }
            return walk.found
        }
    }

    /// Open collections and, for mappings, the keys seen so far and whether the next node is a key.
    private struct Walk {
        struct Frame {
            var isMapping: Bool
            var nextIsKey = true
            var keys: [String: SourceLocation] = [:]
        }

        let file: String
        var stack: [Frame] = []
        var found: [Duplicate] = []

        init(file: String) { self.file = file }

        mutating func consume(_ event: yaml_event_t) {
            switch event.type {
            case YAML_SCALAR_EVENT:
                if let top = stack.indices.last, stack[top].isMapping, stack[top].nextIsKey {
                    let data = event.data.scalar
                    let key = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                    let here = SourceLocation(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                    if let earlier = stack[top].keys[key] {
                        found.append(Duplicate(key: key, first: earlier, second: here))
                    } else {
                        stack[top].keys[key] = here
                    }
                }
                nodeDone()
            case YAML_ALIAS_EVENT:
                nodeDone()
            case YAML_SEQUENCE_START_EVENT:
                stack.append(Frame(isMapping: false))
            case YAML_MAPPING_START_EVENT:
                stack.append(Frame(isMapping: true))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                _ = stack.popLast()
                nodeDone()
            default:
                break
            }
        }

        /// A whole node ended: in a mapping, keys and values alternate.
        mutating func nodeDone() {
            guard let top = stack.indices.last, stack[top].isMapping else { return }
            stack[top].nextIsKey.toggle()
        }
    }
}
