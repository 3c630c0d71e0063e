import Crypto
import Foundation
import RunbookCore
#if canImport(Glibc)
import Glibc
#endif

/// Copies a child's stdout from a pipe into a file on a thread of its own, hashing the bytes
/// on the way through one reused 1 MiB buffer (constant memory). The file's sha256 is known
/// the moment the child exits, so nobody has to read a multi-gigabyte dump back to hash it.
///
/// A blocking thread rather than a task: `read` and `write` block, and the cooperative pool
/// has only as many threads as cores (two here).
final class HashingCopier: @unchecked Sendable {
    struct Outcome: Sendable {
        var sha256: String
        var bytes: Int64
        /// Why the copy stopped early (a full disk); the file is then incomplete.
        var failure: String?
    }

    private let lock = NSLock()
    private var outcome: Outcome?
    private var waiter: CheckedContinuation<Outcome, Never>?
    static let bufferSize = 1 << 20

    /// Starts copying `source` (the pipe's read end, closed when done) to `destination`.
    init(from source: Int32, to destination: Int32) {
        Thread.detachNewThread { [self] in
            let result = Self.copy(from: source, to: destination)
            close(source)
            deliver(result)
        }
    }

    /// Waits until the pipe reached its end (every writer closed it) or the copy failed.
    func finished() async -> Outcome {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let outcome {
                lock.unlock()
                continuation.resume(returning: outcome)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }

    private func deliver(_ result: Outcome) {
        lock.lock()
        outcome = result
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.resume(returning: result)
    }

    /// On a write error it stops reading: closing the read end makes the writer fail (EPIPE),
    /// so a dump that could not be stored never exits 0.
    private static func copy(from source: Int32, to destination: Int32) -> Outcome {
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        let writeback = EarlyWriteback(descriptor: destination)
        // The caller closes `destination` once the outcome is delivered: no flush may run after.
        defer { _ = writeback.finish() }
        while true {
            let n = read(source, buffer.baseAddress, bufferSize)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                return Outcome(sha256: "", bytes: total, failure: "reading the output pipe: \(String(cString: strerror(errno)))")
            }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            var offset = 0
            while offset < n {
                let written = write(destination, chunk.baseAddress! + offset, n - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return Outcome(sha256: "", bytes: total, failure: "writing the output: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
            hasher.update(bufferPointer: chunk)
            total += Int64(n)
            writeback.wrote(upTo: total)
        }
        if let failed = writeback.finish() {
            return Outcome(sha256: "", bytes: total, failure: "flushing the output: \(String(cString: strerror(failed)))")
        }
        let hex = HexText.lowercase(hasher.finalize())
        return Outcome(sha256: hex, bytes: total, failure: nil)
    }
}
