import Foundation
import Yams

/// A YAML file read from disk: its bytes, digest and node tree, or the diagnostics
/// explaining why it could not be read.
public struct YAMLDocument: Sendable {
    public var path: String
    public var bytes: Data
    public var text: String
    public var root: YNode?
    public var diagnostics: [Diagnostic]

    /// Hard limits that keep hostile input (huge files, deep nesting, alias bombs)
    /// bounded in time and memory. Real runbooks are a few KiB.
    public struct Limits: Sendable {
        public var maxBytes = 1 << 20
        public var maxDepth = 64
        public var maxNodes = 100_000
        public init() {}
    }

    public static func load(path: String, limits: Limits = Limits()) -> YAMLDocument {
        let start = SourceLocation(file: path, line: 1, column: 1)
        // Read at most one byte past the limit: `/dev/zero` or a 10 GiB file must not be slurped.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let d = Diagnostic.error(.io, "cannot read file", at: start)
            return YAMLDocument(path: path, bytes: Data(), text: "", root: nil, diagnostics: [d])
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limits.maxBytes + 1) ?? Data()
        } catch {
            let d = Diagnostic.error(.io, "cannot read file: \(error.localizedDescription)", at: start)
            return YAMLDocument(path: path, bytes: Data(), text: "", root: nil, diagnostics: [d])
        }
        if data.count > limits.maxBytes {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            let what = size.map { "file is \($0) bytes" } ?? "file is larger than \(limits.maxBytes) bytes"
            let d = Diagnostic.error(.fileTooLarge, "\(what); the limit is \(limits.maxBytes) bytes", at: start)
            return YAMLDocument(path: path, bytes: Data(), text: "", root: nil, diagnostics: [d])
        }
        return parse(data, path: path, limits: limits)
    }

    public static func parse(_ data: Data, path: String, limits: Limits = Limits()) -> YAMLDocument {
        parse(data, path: path, limits: limits, fastPath: true)
    }

    /// `fastPath: false` always composes with Yams: tests compare the two paths.
    static func parse(_ data: Data, path: String, limits: Limits, fastPath: Bool) -> YAMLDocument {
        let start = SourceLocation(file: path, line: 1, column: 1)
        func fail(_ rule: RuleID, _ message: String, at loc: SourceLocation? = nil, text: String = "") -> YAMLDocument {
            YAMLDocument(path: path, bytes: data, text: text, root: nil,
                         diagnostics: [.error(rule, message, at: loc ?? start)])
        }
        if data.count > limits.maxBytes {
            return fail(.fileTooLarge, "file is \(data.count) bytes; the limit is \(limits.maxBytes) bytes")
        }
        if data.withUnsafeBytes({ raw in raw.baseAddress.map { memchr($0, 0, raw.count) != nil } ?? false }) {
            return fail(.yamlSyntax, "file contains NUL bytes; it is not a YAML text file")
        }
        guard let text = StrictUTF8.decode(data) else {
            return fail(.yamlSyntax, "file is not valid UTF-8")
        }
        if let (depth, loc) = Self.flowDepthExceeded(text, limit: limits.maxDepth, file: path) {
            return fail(.yamlTooDeep, "nesting is deeper than \(limits.maxDepth) levels (reached \(depth))", at: loc, text: text)
        }
        if fastPath, let root = EventComposer.compose(text, file: path, limits: limits) {
            return YAMLDocument(path: path, bytes: data, text: text, root: root, diagnostics: [])
        }
        // Anything unusual (including every error) is composed by Yams, whose diagnostics we report.
        let node: Node?
        do {
            node = try Self.composeOnLargeStack(text)
        } catch let error as YamlError {
            if case .duplicatedKeysInMapping(let keys, let context) = error {
                return YAMLDocument(path: path, bytes: data, text: text, root: nil,
                                    diagnostics: [duplicateKey(keys, firstAt: location(context.mark, path), text: text)])
            }
            let (message, loc) = Self.describe(error, file: path)
            return fail(message.hasPrefix("duplicate key") ? .duplicateKey : .yamlSyntax, message, at: loc, text: text)
        } catch {
            return fail(.yamlSyntax, "\(error)", text: text)
        }
        guard let node else {
            return fail(.yamlSyntax, "file is empty; expected a YAML mapping", text: text)
        }
        var utf8 = text
        return utf8.withUTF8 { bytes in
            var converter = Converter(file: path, limits: limits, source: SourceLines(bytes))
            do {
                let root = try converter.convert(node, depth: 0)
                return YAMLDocument(path: path, bytes: data, text: text, root: root, diagnostics: [])
            } catch let e as ConversionError {
                return fail(e.rule, e.message, at: e.location, text: text)
            } catch {
                return fail(.yamlSyntax, "\(error)", text: text)
            }
        }
    }

    // MARK: - Internals

    /// Points at the key that repeats (the line to delete), with the first one in a note.
    /// Yams names the first occurrence; without a later one found, that is what is reported.
    static func duplicateKey(_ keys: [String], firstAt first: SourceLocation, text: String) -> Diagnostic {
        let message = "duplicate key \(keys.map { "\"\($0)\"" }.joined(separator: ", ")) in mapping"
        guard let repeated = DuplicateKeyLocator.repeatOf(keyAt: first, in: text) else {
            return .error(.duplicateKey, message, at: first)
        }
        let second = SourceLocation(file: first.file, line: repeated.second.line, column: repeated.second.column)
        return .error(.duplicateKey, message, at: second, length: repeated.key.count, notes: ["first given at \(first)"])
    }

    struct ConversionError: Error {
        var rule: RuleID
        var message: String
        var location: SourceLocation
    }

    static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// Turns Yams nodes into `YNode`s, expanding aliases under a node budget and
    /// recording where verbatim scalar values start (for positions inside values).
    struct Converter {
        let file: String
        let limits: Limits
        var budget: Int
        let source: SourceLines

        init(file: String, limits: Limits, source: SourceLines) {
            self.file = file
            self.limits = limits
            self.budget = limits.maxNodes
            self.source = source
        }

        mutating func convert(_ node: Node, depth: Int) throws -> YNode {
            let loc = YAMLDocument.location(node.mark, file)
            budget -= 1
            if budget < 0 {
                throw ConversionError(rule: .yamlTooLarge,
                                      message: "document expands to more than \(limits.maxNodes) nodes (alias expansion?)", location: loc)
            }
            if depth > limits.maxDepth {
                throw ConversionError(rule: .yamlTooDeep, message: "nesting is deeper than \(limits.maxDepth) levels", location: loc)
            }
            switch node {
            case .scalar(let s):
                let quoted = s.style == .singleQuoted || s.style == .doubleQuoted || s.style == .literal || s.style == .folded
                var column: Int?
                if s.style == .plain || s.style == .singleQuoted || s.style == .doubleQuoted {
                    column = source.verbatimColumn(s.string, at: loc, skip: s.style == .plain ? 0 : 1)
                }
                let block = s.style == .literal ? source.literalBlockColumn(at: loc) : nil
                return YNode(.scalar(s.string, quoted: quoted), at: loc, valueColumn: column, blockColumn: block)
            case .sequence(let seq):
                var items: [YNode] = []
                items.reserveCapacity(seq.count)
                for item in seq {
                    items.append(try convert(item, depth: depth + 1))
                }
                return YNode(.sequence(items), at: loc)
            case .mapping(let map):
                var pairs: [YPair] = []
                for (k, v) in map {
                    guard case .scalar(let ks) = k else {
                        throw ConversionError(rule: .yamlSyntax, message: "mapping keys must be plain strings",
                                              location: YAMLDocument.location(k.mark, file))
                    }
                    let value = try convert(v, depth: depth + 1)
                    pairs.append(YPair(key: ks.string, keyLocation: YAMLDocument.location(k.mark, file), value: value))
                }
                return YNode(.mapping(pairs), at: loc)
            case .alias:
                throw ConversionError(rule: .yamlSyntax, message: "unresolved alias", location: loc)
            }
        }
    }

    /// Yams composes recursively; a pathological document could exhaust an 8 MiB
    /// main-thread stack before our own depth limit sees it. Parse on a thread
    /// with a generous stack so hostile input becomes a diagnostic, not a crash.
    private static func composeOnLargeStack(_ text: String) throws -> Node? {
        final class Box: @unchecked Sendable { var result: Result<Node?, Error> = .success(nil) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            // The basic resolver tags every scalar as a string without running regexes:
            // we keep raw text anyway, and the default resolver's per-key regexes (run by
            // Yams' duplicate-key check) dominated the cost of loading a runbook.
            box.result = Result { try Yams.compose(yaml: text, Resolver.basic) }
            done.signal()
        }
        thread.stackSize = 256 << 20
        thread.start()
        done.wait()
        return try box.result.get()
    }

    /// Cheap pre-scan for flow-style nesting (`[[[[...`) and block sequences opened
    /// on one line (`- - - - ...`), the two ways to nest deeply in few bytes.
    static func flowDepthExceeded(_ text: String, limit: Int, file: String) -> (Int, SourceLocation)? {
        var text = text
        return text.withUTF8 { utf8 in
            // Flow nesting needs more than `limit` openers. Without that many, only a line's
            // leading dashes can nest deeply, and those are found without walking every byte.
            var openers = 0
            for byte in utf8 where byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { openers += 1 }
            if openers <= limit { return leadingDashesExceeded(utf8, limit: limit, file: file) }
            return flowDepthExceeded(utf8, limit: limit, file: file)
        }
    }

    /// The full scan's dash rule alone: more than `limit` dashes among a line's leading
    /// dashes, spaces and tabs (all ASCII, so a column is a byte offset).
    static func leadingDashesExceeded(_ utf8: UnsafeBufferPointer<UInt8>, limit: Int, file: String) -> (Int, SourceLocation)? {
        guard let base = utf8.baseAddress else { return nil }
        var line = 1, start = 0
        while true {
            var i = start, dashes = 0
            while i < utf8.count {
                let byte = utf8[i]
                if byte == UInt8(ascii: "-") {
                    dashes += 1
                    if dashes > limit { return (dashes, SourceLocation(file: file, line: line, column: i - start + 1)) }
                } else if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") {
                    break
                }
                i += 1
            }
            guard i < utf8.count, let newline = memchr(base + i, Int32(UInt8(ascii: "\n")), utf8.count - i) else { return nil }
            start = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
            line += 1
        }
    }

    static func flowDepthExceeded(_ utf8: UnsafeBufferPointer<UInt8>, limit: Int, file: String) -> (Int, SourceLocation)? {
        var depth = 0, line = 1, column = 0
        var inSingle = false, inDouble = false, inComment = false, atLineStart = true, dashes = 0
        // Over UTF-8 bytes: every character looked for is ASCII, and a column is one
        // unicode scalar, so continuation bytes are skipped without counting.
        let newline = UInt8(ascii: "\n"), dash = UInt8(ascii: "-"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        let single = UInt8(ascii: "'"), double = UInt8(ascii: "\""), hash = UInt8(ascii: "#")
        let openers: (UInt8, UInt8) = (UInt8(ascii: "["), UInt8(ascii: "{")), closers: (UInt8, UInt8) = (UInt8(ascii: "]"), UInt8(ascii: "}"))
        for byte in utf8 {
            if byte & 0xC0 == 0x80 { continue }
            column += 1
            if byte == newline {
                line += 1; column = 0
                inComment = false; atLineStart = true; dashes = 0
                inSingle = false
                continue
            }
            if inComment { continue }
            if atLineStart {
                if byte == dash { dashes += 1; if dashes > limit { return (dashes, SourceLocation(file: file, line: line, column: column)) }; continue }
                if byte == space || byte == tab { continue }
                atLineStart = false
            }
            if byte == single, !inDouble {
                inSingle.toggle()
            } else if byte == double, !inSingle {
                inDouble.toggle()
            } else if byte == hash, !inSingle, !inDouble {
                inComment = true
            } else if byte == openers.0 || byte == openers.1 {
                if !inSingle && !inDouble {
                    depth += 1
                    if depth > limit { return (depth, SourceLocation(file: file, line: line, column: column)) }
                }
            } else if byte == closers.0 || byte == closers.1 {
                if !inSingle && !inDouble { depth = max(0, depth - 1) }
            }
        }
        return nil
    }

    private static func describe(_ error: YamlError, file: String) -> (String, SourceLocation) {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            // libyaml reports where it gave up; the context says what was open and where it began.
            let ctx = context.map { "\($0.text) (at line \($0.mark.line), column \($0.mark.column)) " } ?? ""
            return ("\(ctx)\(problem)".trimmingCharacters(in: .whitespaces), location(mark, file))
        case let .reader(problem, _, _, _):
            return (problem, SourceLocation(file: file, line: 1, column: 1))
        default:
            return ("\(error)", SourceLocation(file: file, line: 1, column: 1))
        }
    }
}
