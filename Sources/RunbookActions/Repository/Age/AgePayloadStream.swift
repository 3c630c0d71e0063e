import Crypto
import Foundation

/// The payload's STREAM construction: ChaCha20-Poly1305 over 64 KiB chunks, each nonce an
/// 11-byte big-endian chunk counter and a final byte that is 1 only for the last chunk. The
/// flag is what makes truncation at a chunk boundary detectable.
/// `@unchecked Sendable`: the only state is the payload key, derived once and never changed
/// (swift-crypto's `SymmetricKey` is an immutable value that does not declare Sendable).
struct AgePayloadStream: @unchecked Sendable {
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let sealedChunkSize = chunkSize + tagSize
    /// The random nonce written after the header; it salts the payload key.
    static let nonceSize = 16
    /// ChaCha20-Poly1305's nonce: the counter and the flag.
    static let chunkNonceSize = 12

    private let key: SymmetricKey

    init(fileKey: [UInt8], nonce: [UInt8]) {
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: fileKey), salt: nonce,
                                     info: Array("payload".utf8), outputByteCount: 32)
    }

    private static func nonce(counter: UInt64, last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: chunkNonceSize)
        for i in 0..<8 { bytes[3 + i] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * (7 - i))) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    /// The sealed chunk: ciphertext and tag.
    func seal(_ plaintext: Data, counter: UInt64, last: Bool) throws -> Data {
        let box = try ChaChaPoly.seal(plaintext, using: key, nonce: AgePayloadStream.nonce(counter: counter, last: last))
        // `combined` is nonce, ciphertext, tag in one buffer: a slice of it copies nothing.
        return box.combined.dropFirst(AgePayloadStream.chunkNonceSize)
    }

    /// The chunk's plaintext, or nil when it does not authenticate under this counter and flag.
    func open(_ sealed: Data, counter: UInt64, last: Bool) -> Data? {
        guard sealed.count >= AgePayloadStream.tagSize else { return nil }
        let split = sealed.endIndex - AgePayloadStream.tagSize
        guard let box = try? ChaChaPoly.SealedBox(nonce: AgePayloadStream.nonce(counter: counter, last: last),
                                                  ciphertext: sealed[sealed.startIndex..<split], tag: sealed[split...]) else { return nil }
        return try? ChaChaPoly.open(box, using: key)
    }
}
