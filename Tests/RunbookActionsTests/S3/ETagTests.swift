import Crypto
import Foundation
@testable import RunbookActions
import XCTest

/// ETag kinds, multipart ETag reconstruction and the "is it the same content" decision.
final class ETagTests: XCTestCase {
    func testKinds() {
        XCTAssertEqual(ETag.kind("\"9B2CF535F27731C974343645A3985328\""), .md5("9b2cf535f27731c974343645a3985328"))
        XCTAssertEqual(ETag.kind("W/\"d41d8cd98f00b204e9800998ecf8427e-24\""), .multipart("d41d8cd98f00b204e9800998ecf8427e", parts: 24))
        XCTAssertEqual(ETag.kind("not-an-md5"), .opaque)
        XCTAssertEqual(ETag.kind("d41d8cd98f00b204e9800998ecf8427e-0"), .opaque)
        XCTAssertEqual(ETag.kind(""), .opaque)
    }

    /// Three parts hashed by hand, the way S3 documents it, against `FileDigest`'s one-pass version.
    func testMultipartETagOfAFileMatchesTheDefinition() throws {
        let partSize: Int64 = 5 << 20
        var bytes = [UInt8](repeating: 0, count: Int(partSize * 2 + 12345))
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        let file = NSTemporaryDirectory() + "etag-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }

        let partDigests = stride(from: 0, to: bytes.count, by: Int(partSize)).map { start in
            Data(Insecure.MD5.hash(data: bytes[start..<min(start + Int(partSize), bytes.count)]))
        }
        let expected = Insecure.MD5.hash(data: partDigests.reduce(Data(), +)).map { String(format: "%02x", $0) }.joined() + "-3"

        let digest = try FileDigest.compute(path: file, size: Int64(bytes.count), partSizes: [partSize, 8 << 20])
        XCTAssertEqual(digest.multipartETags[0], expected)
        XCTAssertEqual(digest.multipartETags[1].suffix(2), "-2", "8 MiB parts: two")
        XCTAssertEqual(digest.md5, Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
        XCTAssertEqual(digest.sha256, SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
    }

    func testCandidatePartSizesFitThePartCount() {
        // The aws CLI's 8 MiB parts for 200 MB: 24 parts.
        let size: Int64 = 200_000_000
        let candidates = ETag.candidatePartSizes(size: size, parts: 24)
        XCTAssertTrue(candidates.contains(8 << 20))
        for p in candidates { XCTAssertEqual((size + p - 1) / p, 24, "\(p) bytes per part makes 24 parts") }
        // Our own 16 MiB parts: 12.
        XCTAssertTrue(ETag.candidatePartSizes(size: size, parts: 12).contains(16 << 20))
        XCTAssertEqual(ETag.candidatePartSizes(size: 0, parts: 3), [])
    }

    func testContentMatch() {
        let local = FileDigest(size: 10, sha256: "aa", md5: "0123456789abcdef0123456789abcdef",
                               multipartETags: ["fedcba9876543210fedcba9876543210-2"])
        // A plain ETag is the MD5.
        XCTAssertTrue(ContentMatch.same(local: local, remoteSize: 10, remoteETag: "\"0123456789ABCDEF0123456789ABCDEF\"", hint: nil))
        XCTAssertFalse(ContentMatch.same(local: local, remoteSize: 10, remoteETag: "11111111111111111111111111111111", hint: nil))
        // A size difference decides before any checksum.
        XCTAssertFalse(ContentMatch.same(local: local, remoteSize: 11, remoteETag: "0123456789abcdef0123456789abcdef", hint: nil))
        // A multipart ETag is rebuilt from part digests.
        XCTAssertTrue(ContentMatch.same(local: local, remoteSize: 10, remoteETag: "fedcba9876543210fedcba9876543210-2", hint: nil))
        XCTAssertFalse(ContentMatch.same(local: local, remoteSize: 10, remoteETag: "fedcba9876543210fedcba9876543210-3", hint: nil))
        // Opaque ETags prove nothing: copy.
        XCTAssertFalse(ContentMatch.same(local: local, remoteSize: 10, remoteETag: "opaque", hint: nil))
        // A manifest entry with the object's current ETag decides by sha256, either way.
        let matching = ManifestEntry(key: "k", size: 10, etag: "opaque", sha256: "aa")
        XCTAssertTrue(ContentMatch.same(local: local, remoteSize: 10, remoteETag: "opaque", hint: matching))
        let stale = ManifestEntry(key: "k", size: 10, etag: "0123456789abcdef0123456789abcdef", sha256: "bb")
        XCTAssertFalse(ContentMatch.same(local: local, remoteSize: 10, remoteETag: "0123456789abcdef0123456789abcdef", hint: stale),
                       "the recorded sha256 of this very object differs from the local file")
        // A manifest entry for an older version of the object (other ETag) is ignored.
        let older = ManifestEntry(key: "k", size: 10, etag: "22222222222222222222222222222222", sha256: "aa")
        XCTAssertTrue(ContentMatch.same(local: local, remoteSize: 10, remoteETag: "0123456789abcdef0123456789abcdef", hint: older))
    }

    func testMultipartPlan() {
        XCTAssertEqual(MultipartPlan.partSize(for: 200_000_000), 16 << 20)
        let parts = MultipartPlan.parts(for: 200_000_000)
        XCTAssertEqual(parts.count, 12)
        XCTAssertEqual(parts.first, MultipartPlan.Part(number: 1, offset: 0, length: 16 << 20))
        XCTAssertEqual(parts.last?.offset, 11 * (16 << 20))
        XCTAssertEqual(parts.reduce(0) { $0 + $1.length }, 200_000_000)
        // 1 TiB would need 65,536 parts of 16 MiB: the part size grows to stay within 10,000.
        let huge: Int64 = 1 << 40
        XCTAssertLessThanOrEqual((huge + MultipartPlan.partSize(for: huge) - 1) / MultipartPlan.partSize(for: huge), 10_000)
        XCTAssertEqual(MultipartPlan.partSize(for: huge) % (1 << 20), 0)
    }
}
