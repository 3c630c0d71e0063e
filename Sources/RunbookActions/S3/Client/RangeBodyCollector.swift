import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Receives one ranged GET's body into a buffer of the range's size on the connection's event
/// loop, as each piece comes off the socket. The streaming `HTTPClientResponse.Body` hands every
/// piece (64 KiB at most: NIO's largest receive buffer) to the awaiting task and reads nothing
/// more until that task has taken it, so a range of 4-8 MiB cost ~100 round trips between two
/// threads, each waiting for a core on a busy machine. Here the socket is read without pause.
///
/// `@unchecked Sendable`: AsyncHTTPClient calls every method on the task's event loop, one at a
/// time, and the result is handed over only after the last call; nothing else touches the state.
final class RangeBodyCollector: HTTPClientResponseDelegate, @unchecked Sendable {
    /// A 2xx head and the body, or a non-2xx head and the start of its (error) body.
    struct Received {
        var head: HTTPResponseHead
        var body: ByteBuffer
    }

    /// The head was 2xx but not the range asked for (checked before any byte is kept).
    struct NotTheRange: Error {
        var head: HTTPResponseHead
    }

    /// More bytes arrived than the range holds.
    struct TooLong: Error {}

    /// How much of an error reply is kept to read its `<Error><Code>`.
    static let errorBodyLimit = 1 << 20

    private let expected: Int
    private let acceptsHead: (HTTPResponseHead) -> Bool
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var limit = 0
    /// An error reply: its body is cut at `errorBodyLimit` rather than refused.
    private var isErrorReply = false

    /// - Parameters:
    ///   - expected: the range's length; the buffer is allocated once at that size.
    ///   - acceptsHead: whether a 2xx head answers the range asked for.
    init(expected: Int, acceptsHead: @escaping (HTTPResponseHead) -> Bool) {
        self.expected = expected
        self.acceptsHead = acceptsHead
    }

    func didReceiveHead(task: HTTPClient.Task<Received>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        self.head = head
        if (200..<300).contains(Int(head.status.code)) {
            guard acceptsHead(head) else { return task.eventLoop.makeFailedFuture(NotTheRange(head: head)) }
            limit = expected
        } else {
            isErrorReply = true
            limit = Self.errorBodyLimit
        }
        body = ByteBufferAllocator().buffer(capacity: min(limit, expected))
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Received>, _ part: ByteBuffer) -> EventLoopFuture<Void> {
        var part = part
        guard body.readableBytes + part.readableBytes <= limit else {
            // An error reply is cut at the limit; a range that overflows is refused.
            return isErrorReply ? task.eventLoop.makeSucceededVoidFuture() : task.eventLoop.makeFailedFuture(TooLong())
        }
        body.writeBuffer(&part)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Received>) throws -> Received {
        guard let head else { throw HTTPClientError.remoteConnectionClosed }
        return Received(head: head, body: body)
    }
}
