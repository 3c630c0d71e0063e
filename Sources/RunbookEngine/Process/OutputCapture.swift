import Foundation

/// Collects one stream of a child's output: keeps at most `limit` bytes of the
/// head (for `ProcessResult.stdout`) or of the tail (stderr, for diagnostics),
/// counts every byte, and hands complete lines to a live callback.
///
/// Memory stays bounded whatever the child prints. A reference type because the
/// reader task appends while the runner reads the result afterwards.
final class OutputCapture: @unchecked Sendable {
    enum Keep { case head, tail }

    private let lock = NSLock()
    private let keep: Keep
    private let limit: Int
    private var buffer = Data()
    private var pendingLine = Data()
    private(set) var totalBytes = 0
    private(set) var truncated = false
    private let onLine: (@Sendable (String) -> Void)?
    /// Longest line forwarded to the live callback; longer lines are cut.
    private let maxLineBytes = 4096

    init(keep: Keep, limit: Int, onLine: (@Sendable (String) -> Void)?) {
        self.keep = keep
        self.limit = limit
        self.onLine = onLine
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        var lines: [String] = []
        lock.lock()
        totalBytes += bytes.count
        switch keep {
        case .head:
            let room = limit - buffer.count
            if room > 0 { buffer.append(contentsOf: bytes.prefix(room)) }
            if bytes.count > max(room, 0) { truncated = true }
        case .tail:
            buffer.append(contentsOf: bytes)
            if buffer.count > limit {
                buffer = Data(buffer.suffix(limit))
                truncated = true
            }
        }
        if onLine != nil {
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    lines.append(String(decoding: pendingLine, as: UTF8.self))
                    pendingLine.removeAll(keepingCapacity: true)
                } else if pendingLine.count < maxLineBytes {
                    pendingLine.append(byte)
                }
            }
        }
        lock.unlock()
        if let onLine { for line in lines { onLine(line) } }
    }

    /// Flushes a final line that had no newline.
    func finish() {
        lock.lock()
        let rest = pendingLine
        pendingLine.removeAll()
        lock.unlock()
        if let onLine, !rest.isEmpty { onLine(String(decoding: rest, as: UTF8.self)) }
    }

    var data: Data {
        lock.lock()
        defer { lock.unlock() }
        return buffer
    }

    var text: String { String(decoding: data, as: UTF8.self) }
}
