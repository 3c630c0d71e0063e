import Foundation
@testable import RunbookActions
import RunbookEngine
import XCTest

/// Partial files, the disk-full path and directory walks, on the real filesystem.
final class LocalFilesTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "s3-local-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testCommitRenamesIntoPlaceAndDiscardLeavesNothing() throws {
        let kept = try PartialFile(finalPath: dir + "/a/b/kept.bin")
        try Data("hello".utf8).withUnsafeBytes { try kept.write($0) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/a/b/kept.bin.partial"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a/b/kept.bin"), "not under its name before commit")
        try kept.commit()
        XCTAssertEqual(try String(contentsOfFile: dir + "/a/b/kept.bin", encoding: .utf8), "hello")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a/b/kept.bin.partial"))

        let dropped = try PartialFile(finalPath: dir + "/dropped.bin")
        try Data("x".utf8).withUnsafeBytes { try dropped.write($0) }
        dropped.discard()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["a"])
    }

    func testAWriteLargerThanOneSliceLandsWholeAndInOrder() throws {
        // Three whole slices and a partial one, in one call: every byte in place, none twice.
        // The bytes never repeat with the slice's period, so a slice written twice or out of
        // order would not compare equal.
        var bytes = [UInt8](repeating: 0, count: 3 * PartialFile.writeSlice + 12_345)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> 13) }
        let file = try PartialFile(finalPath: dir + "/large.bin")
        try bytes.withUnsafeBytes { try file.write($0) }
        XCTAssertEqual(file.bytesWritten, Int64(bytes.count))
        try file.commit()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/large.bin")), Data(bytes))
    }

    /// /dev/full fails every write with ENOSPC: the partial (here a link to it) is removed
    /// and the message says so.
    func testDiskFullRemovesThePartialFile() throws {
        try FileManager.default.createSymbolicLink(atPath: dir + "/video.bin.partial", withDestinationPath: "/dev/full")
        let file = try PartialFile(finalPath: dir + "/video.bin")
        XCTAssertThrowsError(try Data(count: 4096).withUnsafeBytes { try file.write($0) }) { error in
            XCTAssertEqual("\(error)", "disk full while writing \(dir)/video.bin.partial (ENOSPC): No space left on device; "
                           + "removed \(dir)/video.bin.partial; nothing was put in place of \(dir)/video.bin")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    /// A background flush that failed (EIO from the disk) fails the commit: Linux reports a
    /// writeback error to an open file once, so the final fsync alone could pass.
    func testCommitFailsWhenABackgroundFlushFailed() throws {
        let file = try PartialFile(finalPath: dir + "/dump.bin", flush: { _ in
            errno = EIO
            return -1
        })
        let piece = Data(count: 1 << 20)
        for _ in 0..<Int(EarlyWriteback.flushStep >> 20) { try piece.withUnsafeBytes { try file.write($0) } }
        XCTAssertThrowsError(try file.commit()) { error in
            XCTAssertEqual("\(error)", "cannot fsync \(dir)/dump.bin.partial: Input/output error; "
                           + "removed \(dir)/dump.bin.partial; nothing was put in place of \(dir)/dump.bin")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testTreeListsRegularFilesAndSetsAsideTheRest() throws {
        for path in ["a.txt", "sub/b.txt", "sub/deeper/c.txt", "sub/c.txt.partial", "manifest.json"] {
            try FileManager.default.createDirectory(atPath: (dir + "/" + path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(path.utf8).write(to: URL(fileURLWithPath: dir + "/" + path))
        }
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/a.txt")
        let tree = try LocalTree.scan(root: dir, exclude: [dir + "/manifest.json"])
        XCTAssertEqual(tree.files.map(\.key), ["a.txt", "sub/b.txt", "sub/deeper/c.txt"])
        XCTAssertEqual(tree.files.map(\.size), [5, 9, 16])
        XCTAssertEqual(tree.partials, ["sub/c.txt.partial"])
        XCTAssertEqual(tree.ignored, ["link"], "symlinks are not followed")
        XCTAssertEqual(try LocalTree.scan(root: dir + "/missing").files.count, 0, "a missing directory is empty")
    }

    func testFileChunksStreamARange() async throws {
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/f"))
        var collected = [UInt8]()
        var chunks = 0
        for try await buffer in FileChunks(path: dir + "/f", offset: 100, length: 2_500_000, chunkSize: 1 << 20) {
            collected += buffer.readableBytesView
            chunks += 1
        }
        XCTAssertEqual(chunks, 3)
        XCTAssertEqual(collected, Array(bytes[100..<2_500_100]))
    }

    func testFileChunksRefuseAFileThatShrank() async throws {
        try Data(count: 10).write(to: URL(fileURLWithPath: dir + "/short"))
        do {
            for try await _ in FileChunks(path: dir + "/short", offset: 0, length: 20) {}
            XCTFail("a short file must not be sent as if it were complete")
        } catch let error as LocalIOError {
            XCTAssertEqual(error.operation, "read (the file changed while it was being uploaded)")
        }
    }
}
