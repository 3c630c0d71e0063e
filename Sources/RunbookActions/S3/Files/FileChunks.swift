import Foundation
import NIOCore

/// A byte range of a local file as a stream of buffers, for request bodies. The HTTP
/// client pulls the next chunk only when the socket can take it, so an upload holds
/// one chunk in memory however large the file is.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    var path: String
    var offset: Int64
    var length: Int64
    var chunkSize: Int = 1 << 20

    func makeAsyncIterator() -> Iterator {
        Iterator(reader: FileRangeReader(path: path, offset: offset, length: length), chunkSize: chunkSize)
    }

    struct Iterator: AsyncIteratorProtocol {
        let reader: FileRangeReader
        let chunkSize: Int

        mutating func next() async throws -> ByteBuffer? {
            try Task.checkCancellation()
            return try reader.next(chunkSize: chunkSize)
        }
    }
}

/// Reads a range of a file sequentially with `pread`; closes the descriptor when done or dropped.
final class FileRangeReader: @unchecked Sendable {
    // Only ever used by the one iterator that owns it, one call at a time.
    private let path: String
    private var fd: Int32 = -1
    private var position: Int64
    private let end: Int64

    init(path: String, offset: Int64, length: Int64) {
        self.path = path
        self.position = offset
        self.end = offset + length
    }

    deinit { if fd >= 0 { close(fd) } }

    func next(chunkSize: Int) throws -> ByteBuffer? {
        guard position < end else {
            closeNow()
            return nil
        }
        if fd < 0 {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw LocalIOError(path: path, operation: "open", code: errno) }
        }
        let want = Int(min(Int64(chunkSize), end - position))
        var buffer = ByteBufferAllocator().buffer(capacity: want)
        let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw -> Int in
            try LocalFiles.preadFully(fd, raw.baseAddress!, want, at: position, path: path)
        }
        guard got == want else {
            // The file shrank while we sent it; the length we announced would be a lie.
            throw LocalIOError(path: path, operation: "read (the file changed while it was being uploaded)", code: EIO)
        }
        position += Int64(got)
        return buffer
    }

    private func closeNow() {
        if fd >= 0 { close(fd); fd = -1 }
    }
}
