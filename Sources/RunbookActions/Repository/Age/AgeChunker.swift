import Foundation

/// Cuts a stream into fixed-size chunks and hands over only those that more input follows:
/// the chunk at the end may be the stream's last, which STREAM marks differently, so it is
/// held until the caller knows (`rest` at the end of input). Holds at most one chunk.
struct AgeChunker {
    let size: Int
    private var pending = Data()

    init(size: Int) {
        self.size = size
    }

    /// Adds `input`; calls `body` with every chunk now known not to be the last, in order.
    mutating func feed(_ input: Data, _ body: (Data) throws -> Void) throws {
        var start = input.startIndex
        if !pending.isEmpty {
            let take = min(size - pending.count, input.endIndex - start)
            pending.append(input[start..<start + take])
            start += take
            guard start < input.endIndex else { return }
            try body(pending)
            pending.removeAll(keepingCapacity: true)
        }
        // Whole chunks straight from the input, without copying them into `pending` first.
        while input.endIndex - start > size {
            try body(input[start..<start + size])
            start += size
        }
        pending.append(input[start...])
    }

    /// What is held back: the possible last chunk (at most `size` bytes, possibly empty).
    var rest: Data { pending }
}
