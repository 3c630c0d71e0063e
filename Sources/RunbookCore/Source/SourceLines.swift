/// The source's UTF-8 bytes and where each line starts, to find where a verbatim value
/// begins on its line.
struct SourceLines {
    let bytes: UnsafeBufferPointer<UInt8>
    let lineStarts: [Int]

    /// `bytes` must outlive this value (callers hold it inside `String.withUTF8`).
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.bytes = bytes
        self.lineStarts = starts
    }

    /// The column where `value` starts if the source holds it verbatim on the node's line.
    /// Columns count unicode scalars (as libyaml does): skip that many UTF-8 sequences.
    func verbatimColumn(_ value: String, at loc: SourceLocation, skip: Int) -> Int? {
        guard loc.line >= 1, loc.line <= lineStarts.count else { return nil }
        var i = lineStarts[loc.line - 1]
        var scalarsToSkip = loc.column - 1 + skip
        while scalarsToSkip > 0 {
            guard i < bytes.count, bytes[i] != UInt8(ascii: "\n") else { return nil }
            i += 1
            while i < bytes.count, bytes[i] & 0xC0 == 0x80 { i += 1 }  // continuation bytes
            scalarsToSkip -= 1
        }
        for b in value.utf8 {
            guard i < bytes.count, bytes[i] == b, b != UInt8(ascii: "\n") else { return nil }
            i += 1
        }
        return loc.column + skip
    }

    /// The column where the lines of a literal block scalar (`|`, `|-`, `|+`) whose indicator
    /// is at `loc` start: the indentation of its first line that is not blank. Nil for other
    /// scalars, and for an explicit indentation indicator (`|2`), which is rare in runbooks.
    func literalBlockColumn(at loc: SourceLocation) -> Int? {
        guard loc.line >= 1, loc.line < lineStarts.count else { return nil }
        var i = lineStarts[loc.line - 1]
        var column = 1
        while column < loc.column, i < bytes.count, bytes[i] != UInt8(ascii: "\n") {
            i += 1
            while i < bytes.count, bytes[i] & 0xC0 == 0x80 { i += 1 }
            column += 1
        }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "|") else { return nil }
        i += 1
        while i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
        if i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { return nil }
        for line in loc.line..<lineStarts.count {
            var j = lineStarts[line], indent = 0
            while j < bytes.count, bytes[j] == UInt8(ascii: " ") { j += 1; indent += 1 }
            if j < bytes.count, bytes[j] != UInt8(ascii: "\n"), bytes[j] != UInt8(ascii: "\r") { return indent + 1 }
        }
        return nil
    }
}
