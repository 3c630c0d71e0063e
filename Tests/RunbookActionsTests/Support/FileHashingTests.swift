import Crypto
import Foundation
@testable import RunbookActions
import XCTest

final class FileHashingTests: XCTestCase {
    private func temporaryFile(_ data: Data) throws -> String {
        let path = NSTemporaryDirectory() + "file-hashing-" + UUID().uuidString
        try data.write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testAFileSpanningSeveralChunksHashesLikeItsBytesInMemory() throws {
        // 2.5 chunks of 1 MiB, with a byte pattern that differs from chunk to chunk.
        let data = Data((0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 20) })
        let path = try temporaryFile(data)
        let (hex, bytes) = try FileHashing.sha256(of: path)
        XCTAssertEqual(bytes, Int64(data.count))
        XCTAssertEqual(hex, SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined())
        XCTAssertEqual(try DumpDigest.sha256(of: path), hex)
    }

    func testAnEmptyFileHasTheDigestOfNothing() throws {
        let (hex, bytes) = try FileHashing.sha256(of: try temporaryFile(Data()))
        XCTAssertEqual(bytes, 0)
        XCTAssertEqual(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testAMissingFileIsAnErrorNamingIt() {
        XCTAssertThrowsError(try FileHashing.sha256(of: "/nonexistent/dump.sql")) { error in
            XCTAssertEqual("\(error)", "cannot read /nonexistent/dump.sql: No such file or directory")
        }
    }
}
