import Foundation
@testable import RunbookActions
import XCTest

/// The streaming encryptor and decryptor against each other: sizes around the 64 KiB chunk
/// boundary, arbitrary piece sizes, and every way a stream can be damaged.
final class AgeStreamTests: XCTestCase {
    let chunk = AgePayloadStream.chunkSize
    let alice = AgeIdentity.generate()
    let bob = AgeIdentity.generate()

    func bytes(_ count: Int, seed: UInt8 = 7) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) })
    }

    func encrypt(_ plaintext: Data, to recipients: [AgeRecipient], pieceSize: Int) throws -> Data {
        var encryptor = try AgeEncryptor(recipients: recipients)
        var output = Data()
        var offset = 0
        while offset < plaintext.count {
            let end = min(offset + pieceSize, plaintext.count)
            output += try encryptor.update(plaintext[offset..<end])
            offset = end
        }
        output += try encryptor.finish()
        return output
    }

    func testRoundTripsAroundTheChunkBoundaryInAnyPieceSize() throws {
        for size in [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 3 * chunk + 17] {
            let plaintext = bytes(size)
            for pieceSize in [1_000, chunk, 1 << 20] {
                let sealed = try encrypt(plaintext, to: [alice.recipient], pieceSize: pieceSize)
                let chunks = max(1, (size + chunk - 1) / chunk)
                let header = sealed.count - 16 - size - 16 * chunks
                XCTAssertTrue((100..<300).contains(header), "size \(size): header of \(header) bytes")
                XCTAssertEqual(try AgeDecryptor.decrypt(sealed, with: [alice]), plaintext, "size \(size), pieces of \(pieceSize)")
            }
        }
    }

    func testEveryRecipientCanDecryptAndAnOutsiderCannot() throws {
        let sealed = try AgeEncryptor.encrypt(bytes(5000), to: [alice.recipient, bob.recipient])
        XCTAssertEqual(try AgeDecryptor.decrypt(sealed, with: [alice]), bytes(5000))
        XCTAssertEqual(try AgeDecryptor.decrypt(sealed, with: [bob]), bytes(5000))
        XCTAssertThrowsError(try AgeDecryptor.decrypt(sealed, with: [AgeIdentity.generate()])) { error in
            XCTAssertEqual(error as? AgeError, .noMatchingIdentity(stanzas: 2))
            XCTAssertEqual("\(error)", "no identity matches: none of the file's 2 recipient stanza(s) opens with the given identities (wrong key?)")
        }
    }

    func testTheFinalChunkIsReleasedOnlyByFinish() throws {
        let plaintext = bytes(2 * chunk)
        let sealed = try AgeEncryptor.encrypt(plaintext, to: [alice.recipient])
        var decryptor = AgeDecryptor(identities: [alice])
        // The whole file at once: the first chunk is followed by more input, the second may be the last.
        let early = try decryptor.update(sealed)
        XCTAssertEqual(early, plaintext.prefix(chunk))
        XCTAssertEqual(try decryptor.finish(), plaintext.suffix(chunk))
    }

    func testTruncationAtAChunkBoundaryIsRefused() throws {
        let sealed = try AgeEncryptor.encrypt(bytes(3 * chunk + 5), to: [alice.recipient])
        let headerAndNonce = sealed.count - (3 * chunk + 5) - 4 * 16
        let cut = sealed.prefix(headerAndNonce + 2 * AgePayloadStream.sealedChunkSize)
        XCTAssertThrowsError(try AgeDecryptor.decrypt(cut, with: [alice])) { error in
            XCTAssertEqual(error as? AgeError, .truncated("the input ends after chunk 1, which is not the final chunk"))
        }
        let cutAfterFirst = sealed.prefix(headerAndNonce + AgePayloadStream.sealedChunkSize + 1)
        XCTAssertThrowsError(try AgeDecryptor.decrypt(cutAfterFirst, with: [alice])) { error in
            XCTAssertEqual(error as? AgeError, .payloadAuthenticationFailed(chunk: 1))
        }
        XCTAssertThrowsError(try AgeDecryptor.decrypt(sealed.prefix(headerAndNonce), with: [alice])) { error in
            XCTAssertEqual(error as? AgeError, .truncated("the payload has no chunks"))
        }
        XCTAssertThrowsError(try AgeDecryptor.decrypt(sealed.prefix(headerAndNonce - 3), with: [alice])) { error in
            XCTAssertEqual((error as? AgeError)?.category, "header failure")
        }
    }

    func testAFlippedPayloadBitIsRefusedAtItsChunk() throws {
        var sealed = try AgeEncryptor.encrypt(bytes(3 * chunk), to: [alice.recipient])
        let headerAndNonce = sealed.count - 3 * AgePayloadStream.sealedChunkSize
        sealed[headerAndNonce + AgePayloadStream.sealedChunkSize + 100] ^= 0x01
        var decryptor = AgeDecryptor(identities: [alice])
        XCTAssertThrowsError(try decryptor.update(sealed)) { error in
            XCTAssertEqual(error as? AgeError, .payloadAuthenticationFailed(chunk: 1))
        }
    }

    func testAnAlteredHeaderFailsItsMAC() throws {
        // Re-encrypting the file key to an extra stanza without the file key's MAC: append a grease stanza.
        let sealed = try AgeEncryptor.encrypt(bytes(10), to: [alice.recipient])
        let text = String(decoding: sealed.prefix(200), as: UTF8.self)
        let marker = try XCTUnwrap(text.range(of: "\n---"))
        let offset = text.utf8.distance(from: text.startIndex, to: marker.lowerBound) + 1
        var altered = Data(sealed.prefix(offset))
        altered += Data("-> grease\n\n".utf8)
        altered += sealed.dropFirst(offset)
        XCTAssertThrowsError(try AgeDecryptor.decrypt(altered, with: [alice])) { error in
            XCTAssertEqual(error as? AgeError, .headerMACMismatch)
        }
    }

    func testDataAfterTheFinalChunkIsRefused() throws {
        let sealed = try AgeEncryptor.encrypt(bytes(chunk), to: [alice.recipient])
        XCTAssertThrowsError(try AgeDecryptor.decrypt(sealed + Data([0]), with: [alice])) { error in
            XCTAssertEqual(error as? AgeError, .trailingData)
        }
    }

    func testInputThatIsNotAgeIsRefusedAtOnce() throws {
        var decryptor = AgeDecryptor(identities: [alice])
        XCTAssertThrowsError(try decryptor.update(Data("PGDMP\u{1}\u{2}".utf8))) { error in
            XCTAssertEqual("\(error)", "not a valid age file: the input does not start with \"age-encryption.org/v1\"")
        }
    }

    func testMisuseIsAnError() throws {
        var encryptor = try AgeEncryptor(recipients: [alice.recipient])
        _ = try encryptor.finish()
        XCTAssertThrowsError(try encryptor.update(Data([1])))
        XCTAssertThrowsError(try AgeEncryptor(recipients: []))
    }
}
