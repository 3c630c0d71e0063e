import Crypto
import Foundation

/// Encrypts a stream to age-encryption.org/v1 recipients in constant memory: feed plaintext
/// in pieces of any size to `update`, then call `finish` once; concatenated, the returned
/// pieces are an age file any age implementation decrypts.
///
/// At most one 64 KiB chunk of plaintext is held back: the chunk that might turn out to be the
/// last one, which is sealed with the last-chunk flag only when `finish` says so.
public struct AgeEncryptor {
    private let stream: AgePayloadStream
    private var preamble: Data?
    private var chunker = AgeChunker(size: AgePayloadStream.chunkSize)
    private var counter: UInt64 = 0
    private var finished = false

    /// A new file key and payload nonce, wrapped for every recipient.
    public init(recipients: [AgeRecipient]) throws {
        guard !recipients.isEmpty else { throw AgeError.misuse("encryption needs at least one recipient") }
        let fileKey = AgeEncryptor.randomBytes(16)
        let nonce = AgeEncryptor.randomBytes(AgePayloadStream.nonceSize)
        let stanzas = try recipients.map { try AgeX25519.wrap(fileKey: fileKey, to: $0.publicKey) }
        preamble = Data(AgeHeader.encode(stanzas: stanzas, fileKey: fileKey) + nonce)
        stream = AgePayloadStream(fileKey: fileKey, nonce: nonce)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Encrypts `plaintext` and returns the ciphertext ready so far (the header with the first call).
    public mutating func update<Plaintext: DataProtocol>(_ plaintext: Plaintext) throws -> Data {
        var output = Data()
        try update(plaintext) { output.append($0) }
        return output
    }

    /// Encrypts `plaintext`, handing each piece of ciphertext to `emit` as it is sealed (no
    /// concatenation: the cheaper form for a pipeline).
    public mutating func update<Plaintext: DataProtocol>(_ plaintext: Plaintext, emit: (Data) throws -> Void) throws {
        guard !finished else { throw AgeError.misuse("update after finish") }
        let input = plaintext as? Data ?? Data(plaintext)
        if let preamble = takePreamble() { try emit(preamble) }
        // Local copies: the closure may not touch `self` while `chunker` is being mutated.
        var chunker = self.chunker, counter = self.counter
        let stream = self.stream
        defer { (self.chunker, self.counter) = (chunker, counter) }
        try chunker.feed(input) { chunk in
            try emit(try stream.seal(chunk, counter: counter, last: false))
            counter += 1
        }
    }

    /// Seals the last chunk (empty only when the whole plaintext was empty) and returns the rest of the file.
    public mutating func finish() throws -> Data {
        var output = Data()
        try finish { output.append($0) }
        return output
    }

    /// `finish`, handing the rest of the file to `emit`.
    public mutating func finish(emit: (Data) throws -> Void) throws {
        guard !finished else { throw AgeError.misuse("finish called twice") }
        finished = true
        if let preamble = takePreamble() { try emit(preamble) }
        try emit(try stream.seal(chunker.rest, counter: counter, last: true))
    }

    private mutating func takePreamble() -> Data? {
        defer { preamble = nil }
        return preamble
    }

    /// Encrypts a whole buffer (for small data and tests; streams go through `update`).
    public static func encrypt<Plaintext: DataProtocol>(_ plaintext: Plaintext, to recipients: [AgeRecipient]) throws -> Data {
        var encryptor = try AgeEncryptor(recipients: recipients)
        var output = try encryptor.update(plaintext)
        output += try encryptor.finish()
        return output
    }
}
