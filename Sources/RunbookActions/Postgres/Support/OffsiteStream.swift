import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Carries a dump's output to the repository without a file on disk (`keep_local: false`).
///
/// The runner writes stdout artifacts to `NAME.partial`; here that path is a FIFO, so the
/// runner's copier (which hashes on the way) writes into it as into a file. A thread relays the
/// FIFO into a pipe that `RepositoryStore.push` reads, keeping the first and last bytes for the
/// read-back checks. It withholds the end of the stream until the dump's verdict is known
/// (every exit status, format, trailer): a failed dump must never reach the end of the stream
/// cleanly, or the push would list a truncated artifact.
final class OffsiteStream: @unchecked Sendable {
    static let headBytes = 64
    static let tailBytes = 4096
    static let pipeCapacity = 1 << 20

    let fifoPath: String
    /// What `RepositoryStore.push` reads.
    let pushInput: FileHandle
    private let source: Int32
    private let sink: Int32
    private let lock = NSLock()
    private var head = Data()
    private var tail = Data()
    private var sinkBroken = false
    private let sourceEnded = DispatchSemaphore(value: 0)
    private let verdictGiven = DispatchSemaphore(value: 0)

    /// Creates the FIFO at `fifoPath` (0600) and starts relaying.
    init(fifoPath: String) throws {
        self.fifoPath = fifoPath
        unlink(fifoPath)
        guard mkfifo(fifoPath, 0o600) == 0 else {
            throw OffsiteStreamError("cannot create the stream \(fifoPath): \(String(cString: strerror(errno)))")
        }
        // Non-blocking, so neither side waits for the other to open; poll waits for data.
        source = open(fifoPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard source >= 0 else {
            let why = String(cString: strerror(errno))
            unlink(fifoPath)
            throw OffsiteStreamError("cannot open the stream \(fifoPath): \(why)")
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            close(source)
            unlink(fifoPath)
            throw OffsiteStreamError("pipe: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        // 1 MiB (F_SETPIPE_SZ, Linux): the push then reads pieces as large as from a file,
        // not 64 KiB ones, each of which costs a 1 MiB read buffer in FileHandle.
        _ = fcntl(fds[1], 1031, Int32(Self.pipeCapacity))
        sink = fds[1]
        pushInput = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        Thread.detachNewThread { [self] in relay() }
    }

    /// The first bytes of the stream (the format's magic).
    var header: Data { lock.withLock { head } }
    /// The last bytes of the stream (a SQL dump's trailer).
    var trailer: Data { lock.withLock { tail } }

    /// Waits until the producer closed the stream. Call after the producing process returned:
    /// if it never opened the FIFO (it failed to start), a writer is opened and closed here so
    /// the relay sees the end instead of waiting forever.
    func awaitSourceEnd() async {
        let writer = open(fifoPath, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        if writer >= 0 { close(writer) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.sourceEnded.wait()
                continuation.resume()
            }
        }
    }

    /// Lets the end of the stream through. Before a rejected dump's stream ends, the push task
    /// must already be cancelled, so it cannot complete.
    func release() {
        verdictGiven.signal()
    }

    /// Removes the FIFO.
    func remove() {
        unlink(fifoPath)
    }

    private func relay() {
        let size = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var poller = pollfd(fd: source, events: Int16(POLLIN), revents: 0)
        while true {
            // Poll first: a read of a FIFO no writer has opened yet returns 0 at once, which is
            // not the end. poll reports a hang-up only after a writer came and went.
            poller.revents = 0
            if poll(&poller, 1, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            let n = read(source, buffer.baseAddress, size)
            if n > 0 {
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                keep(chunk)
                forward(chunk)
                continue
            }
            if n == 0 { break }
            if errno == EINTR || errno == EAGAIN { continue }
            break
        }
        close(source)
        sourceEnded.signal()
        verdictGiven.wait()
        close(sink)
    }

    private func keep(_ chunk: UnsafeRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        if head.count < Self.headBytes { head.append(contentsOf: chunk.prefix(Self.headBytes - head.count)) }
        // A fresh Data each time: removeFirst on a Data only moves its start, and appending
        // behind it grows the same storage, by up to 4 KiB per read for the whole stream.
        var recent = tail
        recent.append(contentsOf: chunk.suffix(Self.tailBytes))
        tail = Data(recent.suffix(Self.tailBytes))
    }

    /// Once the push stopped reading (it failed), the rest is drained and dropped so that the
    /// producer is not blocked; its step fails on the push's error.
    private func forward(_ chunk: UnsafeRawBufferPointer) {
        guard !sinkBroken else { return }
        var offset = 0
        while offset < chunk.count {
            let written = write(sink, chunk.baseAddress! + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                sinkBroken = true
                return
            }
            offset += written
        }
    }
}

struct OffsiteStreamError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
