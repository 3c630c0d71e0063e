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
}
