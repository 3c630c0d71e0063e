import Crypto
import Foundation
@testable import RunbookActions
import XCTest

/// The C2SP age testkit (github.com/C2SP/CCTV, age/testdata at 1e3d2860), every vector that
/// uses X25519 recipients and no armor, copied unchanged into Tests/Fixtures/age-testkit
/// (0BSD/CC0). Each vector must end in its `expect` category, and all plaintext released
/// before a failure must hash to its `payload` (so nothing unauthenticated ever comes out).
final class AgeTestkitVectorTests: XCTestCase {
    struct Vector {
        var name: String
        var expect: String
        var payloadSHA256: String?
        var fileKey: [UInt8]?
        var identities: [String]
        var compressed: Bool
        var file: Data
    }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()   // Repository
            .deletingLastPathComponent().deletingLastPathComponent()    // Tests
            .appendingPathComponent("Fixtures/age-testkit")
    }

    static func load(_ name: String) throws -> Vector {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        let separator = data.range(of: Data("\n\n".utf8))!
        var vector = Vector(name: name, expect: "", identities: [], compressed: false, file: data[separator.upperBound...])
        for line in String(decoding: data[..<separator.lowerBound], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            switch parts[0] {
            case "expect": vector.expect = parts[1]
            case "payload": vector.payloadSHA256 = parts[1]
            case "file key": vector.fileKey = stride(from: 0, to: parts[1].count, by: 2).map {
                UInt8(parts[1].dropFirst($0).prefix(2), radix: 16)!
            }
            case "identity": vector.identities.append(parts[1])
            case "compressed": vector.compressed = parts[1] == "zlib"
            default: break
            }
        }
        if vector.compressed { vector.file = try Zlib.inflate(vector.file) }
        return vector
    }

    /// Decrypts in 4,097-byte pieces (so headers and chunks straddle calls) and returns the
    /// outcome category and every plaintext byte released.
    static func run(_ vector: Vector) throws -> (category: String, released: Data, error: AgeError?) {
        let identities = try vector.identities.map { try AgeIdentity($0) }
        var decryptor = AgeDecryptor(identities: identities)
        var released = Data()
        do {
            var offset = vector.file.startIndex
            while offset < vector.file.endIndex {
                let end = min(offset + 4097, vector.file.endIndex)
                released += try decryptor.update(vector.file[offset..<end])
                offset = end
            }
            released += try decryptor.finish()
            return ("success", released, nil)
        } catch let error as AgeError {
            return (error.category, released, error)
        }
    }

    func testEveryVectorEndsInItsExpectedCategory() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        XCTAssertEqual(names.count, 67, "the X25519, non-armored subset of the testkit")
        var categories: [String: Int] = [:]
        for name in names {
            let vector = try Self.load(name)
            let outcome = try Self.run(vector)
            categories[vector.expect, default: 0] += 1
            XCTAssertEqual(outcome.category, vector.expect, "\(name): \(outcome.error.map { "\($0)" } ?? "decrypted")")
            if let expected = vector.payloadSHA256 {
                var released = outcome.released
                if Self.heldBack.contains(name) { released += try Self.chunkHeldBack(vector, after: released.count) }
                XCTAssertEqual(Self.hex(SHA256.hash(data: released)), expected, "\(name): the released plaintext")
            } else {
                XCTAssertTrue(outcome.released.isEmpty, "\(name): released plaintext though the header is bad")
            }
        }
        XCTAssertEqual(categories, ["success": 14, "header failure": 31, "no match": 3, "HMAC failure": 1, "payload failure": 18])
    }

    /// Vectors where the reference implementation releases one more authenticated chunk before
    /// failing than we do: a full chunk at the end of input (it might be the final one, so we hold
    /// it back until `finish`, and `finish` fails), or a final chunk followed by more bytes.
    /// We release nothing that is not proven part of a complete stream's prefix and final.
    static let heldBack: Set<String> = [
        "stream_no_final_full", "stream_no_final_two_chunks_full", "stream_trailing_garbage_long",
        "stream_trailing_garbage_short", "stream_two_final_chunks", "stream_two_final_chunks_full",
        "stream_two_final_chunks_second",
    ]

    /// The plaintext of the chunk that starts at plaintext offset `released`, opened independently
    /// with the vector's published file key (as the last chunk or not, whichever authenticates).
    static func chunkHeldBack(_ vector: Vector, after released: Int) throws -> Data {
        let bytes = Array(vector.file)
        var scanned = 0
        let headerEnd = try XCTUnwrap(AgeHeader.end(in: bytes, scannedUpTo: &scanned))
        let nonce = Array(bytes[headerEnd..<headerEnd + 16])
        let stream = AgePayloadStream(fileKey: try XCTUnwrap(vector.fileKey), nonce: nonce)
        let index = released / AgePayloadStream.chunkSize
        let start = headerEnd + 16 + index * AgePayloadStream.sealedChunkSize
        let sealed = Data(bytes[start..<min(start + AgePayloadStream.sealedChunkSize, bytes.count)])
        let opened = stream.open(sealed, counter: UInt64(index), last: false) ?? stream.open(sealed, counter: UInt64(index), last: true)
        return try XCTUnwrap(opened, "\(vector.name): no authenticated chunk at \(index)")
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    func testAVectorDecryptsAlikeFedWholeOrByteByByte() throws {
        let vector = try Self.load("stream_two_chunks")
        let whole = try AgeDecryptor.decrypt(vector.file, with: vector.identities.map { try AgeIdentity($0) })
        var decryptor = AgeDecryptor(identities: try vector.identities.map { try AgeIdentity($0) })
        var pieces = Data()
        for byte in vector.file { pieces += try decryptor.update([byte]) }
        pieces += try decryptor.finish()
        XCTAssertEqual(pieces, whole)
        XCTAssertEqual(Self.hex(SHA256.hash(data: whole)), vector.payloadSHA256)
    }

    /// Header encode/parse round trip on every vector whose header parses (the testkit's suggestion).
    func testHeadersReencodeToTheSameBytes() throws {
        for name in ["x25519", "x25519_grease", "x25519_multiple_recipients", "stanza_valid_characters", "stanza_empty_last_line"] {
            let vector = try Self.load(name)
            let bytes = Array(vector.file)
            var scanned = 0
            let end = try XCTUnwrap(AgeHeader.end(in: bytes, scannedUpTo: &scanned), name)
            let header = try AgeHeader.parse(Array(bytes[..<end]))
            var text = AgeHeader.versionLine + "\n"
            for stanza in header.stanzas { text += stanza.encoded }
            XCTAssertEqual(Array((text + "---").utf8), header.macInput, name)
        }
    }
}

/// zlib's `uncompress` from the system's libz, for the testkit's compressed vectors (test-only:
/// Foundation on Linux has no public inflate, and a child process would race the engine's SIGCHLD handling).
enum Zlib {
    private typealias Uncompress = @convention(c) (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt>,
                                                   UnsafePointer<UInt8>, UInt) -> Int32

    struct Failure: Error { var code: Int32 }

    static func inflate(_ data: Data) throws -> Data {
        guard let handle = dlopen("libz.so.1", RTLD_NOW), let symbol = dlsym(handle, "uncompress") else {
            throw Failure(code: -1000)
        }
        let uncompress = unsafeBitCast(symbol, to: Uncompress.self)
        var capacity = max(1 << 20, data.count * 16)
        let source = Array(data)
        while true {
            var output = [UInt8](repeating: 0, count: capacity)
            var length = UInt(capacity)
            let code = uncompress(&output, &length, source, UInt(source.count))
            if code == 0 { return Data(output[..<Int(length)]) }
            guard code == -5 else { throw Failure(code: code) }  // Z_BUF_ERROR: the output did not fit
            capacity *= 4
        }
    }
}
