import AsyncHTTPClient
import Foundation
import NIOCore

/// How a large object is read: several ranged GETs in flight at once (one TCP stream is slower
/// than a few, on loopback as on a WAN), reassembled in order for a consumer that hashes,
/// decrypts or writes sequentially.
public enum RangedReads {
    /// Objects at least this large are read in ranges; smaller ones in one GET.
    public static let threshold: Int64 = 32 << 20
    public static let rangeSize = 4 << 20
    /// Ranges in flight or waiting for their turn at once.
    public static let concurrency = 4
    /// Ranges handed to a download's write and hashes (`PieceLanes`) and not yet done by all:
    /// a download holds at most `concurrency + laneBacklog` ranges (24 MiB).
    static let laneBacklog = 2

    /// The byte ranges (inclusive ends, as the Range header takes them) covering `size` bytes.
    static func ranges(size: Int64, rangeSize: Int) -> [ClosedRange<Int64>] {
        stride(from: Int64(0), to: size, by: rangeSize).map { $0...min($0 + Int64(rangeSize), size) - 1 }
    }
}

extension S3Client {
    /// Reads the `size` bytes of an object as concurrent ranged GETs and hands them to `sink`
    /// strictly in order. At most `concurrency` ranges are in memory (in flight or received
    /// and waiting for an earlier one). A range that arrives short, or a failure of any range,
    /// throws after the other requests were cancelled; `sink` has then received a prefix only.
    /// A dropped connection or server error retries that range alone.
    /// `ifMatch`: the ETag every range must come from (sent as If-Match), so that an object
    /// replaced part way is refused rather than spliced from two versions; servers that ignore
    /// If-Match (rclone serve s3) answer regardless.
    func readInRanges(bucket: String, key: String, size: Int64, rangeSize: Int = RangedReads.rangeSize,
                      concurrency: Int = RangedReads.concurrency, ifMatch: String? = nil,
                      sink: (ByteBuffer) async throws -> Void) async throws {
        try await readInRanges(bucket: bucket, key: key, RangedReads.ranges(size: size, rangeSize: rangeSize),
                               concurrency: concurrency, ifMatch: ifMatch, transform: { buffer, _ in buffer }, sink: sink)
    }

    /// `readInRanges` over the given `ranges`, each turned by `transform` (with its index) in the
    /// task that downloaded it, so the transforms of several ranges run in parallel (decrypting
    /// independent chunks, say); `sink` still receives the results strictly in order. At most
    /// `concurrency` ranges' results are in memory at once.
    func readInRanges<Piece: Sendable>(bucket: String, key: String, _ ranges: [ClosedRange<Int64>], concurrency: Int,
                                       ifMatch: String? = nil,
                                       transform: @escaping @Sendable (ByteBuffer, Int) throws -> Piece,
                                       sink: (Piece) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: (Int, Piece).self) { group in
            var launched = 0, next = 0
            var arrived: [Int: Piece] = [:]
            func launch() {
                let index = launched, range = ranges[index]
                group.addTask {
                    let buffer = try await self.withTransientRetry {
                        try await self.readRange(bucket: bucket, key: key, range, ifMatch: ifMatch)
                    }
                    return (index, try transform(buffer, index))
                }
                launched += 1
            }
            while next < ranges.count {
                // A new range starts only when it fits in the window after the next one to hand over.
                while launched < ranges.count, launched - next < max(1, concurrency) { launch() }
                guard let (index, buffer) = try await group.next() else { break }
                arrived[index] = buffer
                while let ready = arrived.removeValue(forKey: next) {
                    try await sink(ready)
                    next += 1
                }
            }
        }
    }

    /// One ranged GET, read whole; it must be exactly the range asked for. The body is gathered
    /// on the event loop (`RangeBodyCollector`), so the socket is read without waiting for this task.
    private func readRange(bucket: String, key: String, _ range: ClosedRange<Int64>, ifMatch: String?) async throws -> ByteBuffer {
        let operation = "GetObject s3://\(bucket)/\(key) bytes \(range.lowerBound)-\(range.upperBound)"
        var headers = [("range", "bytes=\(range.lowerBound)-\(range.upperBound)")]
        if let ifMatch, !ifMatch.isEmpty { headers.append(("if-match", "\"\(ifMatch)\"")) }
        let request = S3Request(method: .GET, bucket: bucket, key: key, headers: headers, operation: operation)
        let expected = Int(range.count)
        // The reply must start where the range does: 206 says so, and so does a Content-Range from
        // there (rclone serve s3 answers ranges with 200 and a Content-Range). A 200 without one is
        // the whole object from its start. A range that ends early is caught by the length below.
        let collector = RangeBodyCollector(expected: expected) { head in
            head.status == .partialContent || (head.headers.first(name: "content-range") ?? "").hasPrefix("bytes \(range.lowerBound)-")
        }
        let received: RangeBodyCollector.Received
        do {
            let (url, headers) = signedHead(request, payloadHash: SigV4Signer.emptyPayloadHash)
            let task = http.execute(request: try HTTPClient.Request(url: url, method: .GET, headers: headers), delegate: collector)
            received = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch let refused as RangeBodyCollector.NotTheRange {
            let contentRange = refused.head.headers.first(name: "content-range") ?? ""
            throw S3Error.badResponse(endpoint: endpoint.description, operation: operation,
                                      reason: "expected the range, got HTTP \(refused.head.status.code) with Content-Range \"\(contentRange)\"")
        } catch is RangeBodyCollector.TooLong {
            throw S3Error.integrity("s3://\(bucket)/\(key): more than \(expected) bytes for the range \(range.lowerBound)-\(range.upperBound)")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw S3Error.interrupted(endpoint: endpoint.description, operation: operation, reason: S3Client.describeNetworkError(error))
        }
        if received.head.status == .preconditionFailed, let ifMatch {
            throw S3Error.changedSinceListed(bucket: bucket, key: key, etag: ifMatch)
        }
        guard (200..<300).contains(Int(received.head.status.code)) else {
            let reply = HTTPClientResponse(status: received.head.status, headers: received.head.headers, body: .bytes(received.body))
            throw await failure(for: request, response: reply)
        }
        guard received.body.readableBytes == expected else {
            throw S3Error.integrity("s3://\(bucket)/\(key): received \(received.body.readableBytes) bytes of the range \(range.lowerBound)-\(range.upperBound) (\(expected) expected)")
        }
        return received.body
    }
}
