import Crypto
import Foundation
@testable import RunbookActions
import XCTest

/// What concurrent transfers could break, against the same real `rclone serve s3` as
/// `RepositoryStoreTests`: parts uploaded several at a time and ranges downloaded several at a
/// time must come back in order, and a failure in any of them must leave nothing behind.
extension RepositoryStoreTests {
    /// 40 MiB: five 8 MiB parts (three in flight at once) up, and a ciphertext above
    /// `RangedReads.threshold`, so the pull is five concurrent ranged GETs.
    static let severalParts = 40 * 1_048_576 + 7

    func testAnObjectOfSeveralPartsAndRangesPullsBackIdenticalBySha256() async throws {
        XCTAssertGreaterThan(Int64(Self.severalParts), RangedReads.threshold, "the pull must go through ranged GETs")
        let (entry, sha) = try await push("db/big.dump", size: Self.severalParts)
        XCTAssertEqual(entry.plaintextSHA256, sha)
        try await store.pull(name: "db/big.dump", to: file("restored"), identities: identity)
        XCTAssertEqual(try AgeCLI.sha256(file("restored")), sha)

        // Small ranges, many at once, out of order on the wire: handed over in order all the same.
        let whole = try await download(entry.key)
        XCTAssertEqual(AgeCLI.hex(SHA256.hash(data: whole)), entry.ciphertextSHA256, "the parts were assembled in order")
        var reassembled = Data()
        try await raw.readInRanges(bucket: store.config.bucket, key: entry.key, size: entry.ciphertextSize,
                                   rangeSize: 300_001, concurrency: 8) { reassembled.append(contentsOf: $0.readableBytesView) }
        XCTAssertEqual(reassembled.count, whole.count)
        XCTAssertTrue(reassembled == whole, "ranges reassembled in order")
    }

    func testAPartFailingMidPushAbortsTheUploadAndLeavesNothingListed() async throws {
        signal(SIGPIPE, SIG_IGN)
        let bucket = store.config.bucket
        let pipe = Pipe()
        let uploadAborted = DispatchSemaphore(value: 0)
        let writer = pipe.fileHandleForWriting
        let piece = Data(repeating: 0x5a, count: 1_048_576)
        // 24 MiB (three parts, in flight together), then, once the upload is gone on the server, 24 more.
        DispatchQueue.global().async {
            for _ in 0..<24 { writer.write(piece) }
            uploadAborted.wait()
            for _ in 0..<24 { writer.write(piece) }
            try? writer.close()
        }
        let push = Task { try await self.store.push(name: "db/cut.dump", from: pipe.fileHandleForReading) }
        var pending: [S3MultipartUpload] = []
        for _ in 0..<200 where pending.isEmpty {
            pending = try await raw.listMultipartUploads(bucket: bucket, prefix: "prod/objects/db/")
            if pending.isEmpty { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        let upload = try XCTUnwrap(pending.first, "the push started a multipart upload")
        await raw.abortMultipartUpload(bucket: bucket, key: upload.key, uploadID: upload.uploadID)
        uploadAborted.signal()

        do {
            let entry = try await push.value
            XCTFail("a push whose parts the server refused succeeded: \(entry)")
        } catch S3Error.service(_, let operation, _, _, _) {
            XCTAssertTrue(operation.hasPrefix("UploadPart") || operation.hasPrefix("CompleteMultipartUpload"), operation)
        } catch S3Error.noSuchKey {
            // Some servers answer a part for a vanished upload as a missing key.
        }
        // Let the writer finish whatever the failed push did not read.
        while let rest = try pipe.fileHandleForReading.read(upToCount: 1 << 20), !rest.isEmpty {}

        let listed = try await store.entries(namespace: "db")
        XCTAssertNil(listed["db/cut.dump"], "the failed push is not listed")
        let objects = try await raw.listObjects(bucket: bucket, prefix: "prod/objects/db/")
        XCTAssertEqual(objects.map(\.key), [], "no object was completed")
        let uploads = try await raw.listMultipartUploads(bucket: bucket, prefix: "prod/objects/db/")
        XCTAssertEqual(uploads, [], "no multipart upload is left open")
    }

    func testARangedPullCutPartWayLeavesNoDestinationFile() async throws {
        let (entry, _) = try await push("db/cut-short.dump", size: Self.severalParts)
        // The stored object loses its tail: the first ranges arrive, the later ones cannot.
        let whole = try await download(entry.key)
        try await raw.putObject(bucket: store.config.bucket, key: entry.key, data: whole.prefix(12 * 1_048_576),
                                contentType: "application/octet-stream")
        let destination = file("restored-cut")
        try await assertRangesRunOut(naming: "cut-short.dump") {
            try await self.store.pull(name: "db/cut-short.dump", to: destination, identities: self.identity)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination), "no destination file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination + ".partial"), "no partial file")
    }

    /// Ranges are decrypted in parallel, each chunk at its position: a byte altered deep inside
    /// a large object is refused naming its chunk, and nothing is left at the destination.
    func testARangedPullRefusesAnAlteredChunkByItsPosition() async throws {
        let (entry, _) = try await push("db/altered.dump", size: Self.severalParts)
        var whole = try await download(entry.key)
        let chunks = (Self.severalParts + 65_535) / 65_536
        let payloadStart = whole.count - Self.severalParts - chunks * 16
        whole[payloadStart + 300 * 65_552 + 100] ^= 0x01
        try await raw.putObject(bucket: store.config.bucket, key: entry.key, data: whole, contentType: "application/octet-stream")
        let destination = file("restored-altered")
        do {
            try await store.pull(name: "db/altered.dump", to: destination, identities: identity)
            XCTFail("an altered object was pulled")
        } catch {
            XCTAssertEqual("\(error)", "payload chunk 300 failed authentication: the ciphertext was modified, damaged or cut short")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination), "no destination file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination + ".partial"), "no partial file")
    }

    /// A ranged pull does not hash the ciphertext again (age authenticates every byte of it):
    /// another valid age file of the same size for the same recipient, in the object's place,
    /// opens chunk by chunk and is refused by the manifest's plaintext sha256, before the
    /// destination appears.
    func testARangedPullRefusesAnotherValidAgeFileByThePlaintextSha256() async throws {
        let (entry, _) = try await push("db/swapped.dump", size: Self.severalParts)
        let swapped = try AgeEncryptor.encrypt(Data(count: Self.severalParts), to: [identity[0].recipient])
        XCTAssertEqual(Int64(swapped.count), entry.ciphertextSize, "the same size, so every range comes down whole")
        try await raw.putObject(bucket: store.config.bucket, key: entry.key, data: swapped, contentType: "application/octet-stream")
        let destination = file("restored-swapped")
        do {
            try await store.pull(name: "db/swapped.dump", to: destination, identities: identity)
            XCTFail("a substituted object was pulled")
        } catch let error as RepositoryError {
            guard case .verificationFailed(_, let what, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(what, "the plaintext's sha256")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination), "no destination file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination + ".partial"), "no partial file")
    }

    /// s3.mirror's download of a large object (ranged GETs): an object that shrank between the
    /// listing and the download fails part way, and neither the file nor its partial remains.
    func testARangedMirrorDownloadCutPartWayLeavesNoFile() async throws {
        let bucket = store.config.bucket
        try await raw.putObject(bucket: bucket, key: "media/short.bin", data: Data(repeating: 7, count: 12 * 1_048_576),
                                contentType: "application/octet-stream")
        let destination = file("short.bin")
        try await assertRangesRunOut(naming: "media/short.bin") {
            _ = try await self.raw.download(bucket: bucket, key: "media/short.bin", to: destination, size: 40 * 1_048_576)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination), "no destination file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination + ".partial"), "no partial file")
    }

    /// s3.mirror's download of a large object checks the MD5 of what came down against the ETag
    /// the listing gave, whether or not it also computes the SHA-256 (a mirror that writes no
    /// manifest does not): an object replaced, at the same size, since the listing is refused, and
    /// neither the file nor its partial remains. With the current ETag it comes down whole.
    func testARangedMirrorDownloadOfAnObjectReplacedSinceTheListingIsRefusedByItsMD5() async throws {
        let bucket = store.config.bucket, key = "media/replaced.bin", size = 33 * 1_048_576
        XCTAssertGreaterThanOrEqual(Int64(size), RangedReads.threshold, "the download must go through ranged GETs")
        try await raw.putObject(bucket: bucket, key: key, data: Data(repeating: 1, count: size), contentType: "application/octet-stream")
        let listing = try await raw.listObjects(bucket: bucket, prefix: key)
        let listed = try XCTUnwrap(listing.first)
        // No two 4 MiB ranges alike, so a range out of place would not compare equal.
        let replacement = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 ^ $0 >> 8 ^ $0 >> 22) })
        try await raw.putObject(bucket: bucket, key: key, data: replacement, contentType: "application/octet-stream")
        let replacementMD5 = AgeCLI.hex(Insecure.MD5.hash(data: replacement))
        XCTAssertNotEqual(listed.etag, replacementMD5)

        let destination = file("replaced.bin")
        for computesSHA256 in [false, true] {
            do {
                let fetched = try await raw.download(bucket: bucket, key: key, to: destination, size: listed.size,
                                                     listedETag: listed.etag, sha256: computesSHA256)
                XCTFail("a download whose content does not match the listed ETag succeeded: \(fetched)")
            } catch S3Error.integrity(let message) {
                XCTAssertEqual(message, "s3://\(bucket)/\(key): the content's MD5 \(replacementMD5) does not match its ETag \(listed.etag)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: destination), "no destination file (sha256: \(computesSHA256))")
            XCTAssertFalse(FileManager.default.fileExists(atPath: destination + ".partial"), "no partial file (sha256: \(computesSHA256))")
        }

        let relisting = try await raw.listObjects(bucket: bucket, prefix: key)
        let current = try XCTUnwrap(relisting.first)
        let unhashed = try await raw.download(bucket: bucket, key: key, to: destination, size: current.size,
                                              listedETag: current.etag, sha256: false)
        XCTAssertNil(unhashed.sha256, "no SHA-256 was asked for")
        XCTAssertTrue(try Data(contentsOf: URL(fileURLWithPath: destination)) == replacement, "the replacement came down byte for byte")
        let hashed = try await raw.download(bucket: bucket, key: key, to: destination, size: current.size,
                                            listedETag: current.etag, sha256: true)
        XCTAssertEqual(hashed.sha256, AgeCLI.hex(SHA256.hash(data: replacement)))
    }

    /// `transfer` must fail because the object ends before the ranges asked for do: a range that
    /// came short, or one past the end (416), naming the object; any other outcome fails the test.
    func assertRangesRunOut(naming object: String, _ transfer: () async throws -> Void,
                            file: StaticString = #filePath, line: UInt = #line) async throws {
        do {
            try await transfer()
            XCTFail("a transfer of an object shorter than expected succeeded", file: file, line: line)
        } catch S3Error.integrity(let message) {
            XCTAssertTrue(message.contains(object) && message.contains("bytes of the range"), message, file: file, line: line)
        } catch S3Error.service(_, let operation, 416, _, _) {
            XCTAssertTrue(operation.contains(object), operation, file: file, line: line)
        }
    }
}
