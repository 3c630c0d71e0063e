import Foundation
@testable import RunbookActions
import XCTest

/// The FIFO relay between the runner's artifact writer and the repository push, with a real
/// FIFO and threads (no S3): the reader must neither take "no writer yet" for the end, nor let
/// the end through before the verdict.
final class OffsiteStreamTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "offsite-stream-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Reads the push side to its end on a thread of its own.
    private func drain(_ stream: OffsiteStream) -> (done: XCTestExpectation, box: OffsiteStreamReadBox) {
        let done = expectation(description: "end of stream")
        let box = OffsiteStreamReadBox()
        Thread.detachNewThread {
            let data = (try? stream.pushInput.readToEnd()) ?? Data()
            box.finish(data)
            done.fulfill()
        }
        return (done, box)
    }

    func testAWriterThatOpensLateIsWaitedForAndTheEndWaitsForTheVerdict() async throws {
        let stream = try OffsiteStream(fifoPath: dir + "/app.sql.partial")
        defer { stream.remove() }
        let (done, data) = drain(stream)
        // The writer opens only after the relay started: before the fix the relay read 0
        // bytes from the writerless FIFO and ended the stream at once.
        try await Task.sleep(nanoseconds: 200_000_000)
        let payload = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0) })
        let writer = try XCTUnwrap(FileHandle(forWritingAtPath: dir + "/app.sql.partial"))
        try writer.write(contentsOf: payload)
        try writer.close()
        await stream.awaitSourceEnd()
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertFalse(data.finished, "the end of the stream came before the verdict")
        stream.release()
        await fulfillment(of: [done], timeout: 10)
        XCTAssertEqual(data.data, payload)
        XCTAssertEqual(stream.header, payload.prefix(OffsiteStream.headBytes))
        XCTAssertEqual(stream.trailer, payload.suffix(OffsiteStream.tailBytes))
    }

    func testAProducerThatNeverOpensTheFIFOEndsTheStreamEmpty() async throws {
        let stream = try OffsiteStream(fifoPath: dir + "/never.partial")
        defer { stream.remove() }
        let (done, data) = drain(stream)
        await stream.awaitSourceEnd()
        stream.release()
        await fulfillment(of: [done], timeout: 10)
        XCTAssertEqual(data.data, Data())
        XCTAssertEqual(stream.header, Data())
    }
}

final class OffsiteStreamReadBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    private var done = false
    var data: Data { lock.withLock { stored } }
    var finished: Bool { lock.withLock { done } }
    func finish(_ data: Data) { lock.withLock { stored = data; done = true } }
}
