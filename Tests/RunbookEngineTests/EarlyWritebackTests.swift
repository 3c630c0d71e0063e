import Foundation
@testable import RunbookEngine
import XCTest

/// The background flushes of a file being written, on the real filesystem.
final class EarlyWritebackTests: XCTestCase {
    var path = ""

    override func setUp() {
        path = NSTemporaryDirectory() + "early-writeback-\(UUID().uuidString)"
    }

    override func tearDown() {
        unlink(path)
    }

    /// Writes `mebibytes` MiB through a fresh file and its writeback; returns the writeback
    /// after `finish()` and what `finish()` said. The file stays open until then.
    private func write(mebibytes: Int, flush: @escaping EarlyWriteback.Flush = EarlyWriteback.dataSync) throws -> (EarlyWriteback, Int32?) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let writeback = EarlyWriteback(descriptor: fd, flush: flush)
        let piece = [UInt8](repeating: 0x5a, count: 1 << 20)
        var total: Int64 = 0
        for _ in 0..<mebibytes {
            XCTAssertEqual(piece.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }, piece.count)
            total += Int64(piece.count)
            writeback.wrote(upTo: total)
        }
        return (writeback, writeback.finish())
    }

    /// fdatasync ran on the real file in the background while it was written, and succeeded.
    func testFlushesARegularFileInTheBackground() throws {
        let (writeback, failure) = try write(mebibytes: 96)
        XCTAssertNil(failure)
        XCTAssertGreaterThanOrEqual(writeback.flushesCompleted, 1, "96 MiB is three flush steps: at least one flush ran")
        XCTAssertLessThanOrEqual(writeback.flushesCompleted, 3)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_size, 96 << 20)
    }

    /// Less than a flush step starts no flush.
    func testASmallFileIsNotFlushedEarly() throws {
        let (writeback, failure) = try write(mebibytes: Int(EarlyWriteback.flushStep >> 20) - 1)
        XCTAssertNil(failure)
        XCTAssertEqual(writeback.flushesCompleted, 0)
    }

    /// The first failure is kept for `finish()`, whatever later flushes say.
    func testAFailedFlushIsReportedByFinish() throws {
        let calls = Counter()
        let (_, failure) = try write(mebibytes: 96, flush: { fd in
            if calls.next("flush") == 1 {
                errno = EIO
                return -1
            }
            return fdatasync(fd)
        })
        XCTAssertEqual(failure, EIO)
    }

    /// A pipe (a dump streamed to the repository) has nothing to write back: no flush, no error.
    func testAPipeIsLeftAlone() throws {
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        let writeback = EarlyWriteback(descriptor: fds[1])
        writeback.wrote(upTo: 64 << 20)
        XCTAssertNil(writeback.finish())
        XCTAssertEqual(writeback.flushesCompleted, 0)
    }
}
