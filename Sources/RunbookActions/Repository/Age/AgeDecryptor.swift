import Foundation

/// Decrypts an age-encryption.org/v1 stream in constant memory: feed ciphertext in pieces of
/// any size to `update`, then call `finish` at the end of input.
///
/// What a consumer may rely on:
/// - Nothing is returned before the header's MAC has been verified with the unwrapped file key.
/// - Every piece `update` returns is authenticated: it is exactly what was encrypted, in order,
///   at that position (chunk counters bind positions).
/// - Only `finish` proves that the stream is complete. Until it returns without throwing, the
///   plaintext released so far may be a prefix of the original (an attacker or a broken transfer
///   can cut a stream at any non-final chunk). So write released plaintext somewhere provisional
///   (a `.partial` file, a temporary table), and make it visible only after `finish` succeeds.
/// - The final chunk's plaintext is released only by `finish`, after it authenticated with the
///   last-chunk flag; a full chunk is held back until more input shows it is not the last.
public struct AgeDecryptor {
    /// Bounds memory while looking for the end of a header that never ends (input that is not age).
    public static let maxHeaderSize = 1 << 20

    private enum State {
        case header(bytes: [UInt8], scanned: Int)
        case nonce(fileKey: [UInt8], bytes: [UInt8])
        case payload(AgePayloadStream)
        case done
    }

    private let identities: [AgeIdentity]
    private var state: State = .header(bytes: [], scanned: 0)
    private var chunker = AgeChunker(size: AgePayloadStream.sealedChunkSize)
    private var counter: UInt64 = 0

    public init(identities: [AgeIdentity]) {
        self.identities = identities
    }

    /// Consumes ciphertext; returns plaintext of the chunks authenticated so far (possibly empty).
    public mutating func update<Ciphertext: DataProtocol>(_ ciphertext: Ciphertext) throws -> Data {
        var output = Data()
        try update(ciphertext) { output.append($0) }
        return output
    }

    /// Consumes ciphertext, handing each authenticated chunk's plaintext to `emit` as it opens.
    public mutating func update<Ciphertext: DataProtocol>(_ ciphertext: Ciphertext, emit: (Data) throws -> Void) throws {
        var input = ciphertext as? Data ?? Data(ciphertext)
        while true {
            switch state {
            case .header(var bytes, var scanned):
                bytes += input
                input = Data()
                // Say "not age" at once rather than after a megabyte of looking for a header end.
                let magic = Array("age-encryption.org/".utf8)
                guard bytes.prefix(magic.count).elementsEqual(magic.prefix(bytes.count)) else {
                    throw AgeError.malformedHeader("the input does not start with \"\(AgeHeader.versionLine)\"")
                }
                guard let end = AgeHeader.end(in: bytes, scannedUpTo: &scanned) else {
                    guard bytes.count <= AgeDecryptor.maxHeaderSize else {
                        throw AgeError.malformedHeader("no header end within \(AgeDecryptor.maxHeaderSize >> 20) MiB")
                    }
                    state = .header(bytes: bytes, scanned: scanned)
                    return
                }
                let fileKey = try Self.openHeader(Array(bytes[..<end]), identities: identities)
                state = .nonce(fileKey: fileKey, bytes: [])
                input = Data(bytes[end...])
            case .nonce(let fileKey, var bytes):
                let take = min(AgePayloadStream.nonceSize - bytes.count, input.count)
                bytes += input.prefix(take)
                input = input.dropFirst(take)
                guard bytes.count == AgePayloadStream.nonceSize else {
                    state = .nonce(fileKey: fileKey, bytes: bytes)
                    return
                }
                state = .payload(AgePayloadStream(fileKey: fileKey, nonce: bytes))
            case .payload(let stream):
                return try openFullChunks(stream, input, emit: emit)
            case .done:
                throw AgeError.misuse("update after finish")
            }
        }
    }

    /// `finish`, handing the final chunk's plaintext to `emit`.
    public mutating func finish(emit: (Data) throws -> Void) throws {
        try emit(try finish())
    }

    /// Ends the input: verifies and returns the final chunk's plaintext. Throws when the stream
    /// is truncated, altered, or has data after its final chunk.
    public mutating func finish() throws -> Data {
        defer { state = .done }
        switch state {
        case .header(let bytes, _):
            throw bytes.isEmpty ? AgeError.malformedHeader("the input is empty") : AgeError.malformedHeader("the header does not end")
        case .nonce:
            // The nonce counts as header: without it no payload key exists (the testkit agrees).
            throw AgeError.malformedHeader("the input ends before the 16-byte payload nonce is complete (truncated file)")
        case .done:
            throw AgeError.misuse("finish called twice")
        case .payload(let stream):
            let pending = chunker.rest
            if pending.isEmpty {
                throw AgeError.truncated(counter == 0 ? "the payload has no chunks" : "the input ends after chunk \(counter - 1), which is not the final chunk")
            }
            if let plaintext = stream.open(pending, counter: counter, last: true) {
                // An empty final chunk is allowed only as the whole (empty) payload.
                guard !plaintext.isEmpty || counter == 0 else {
                    throw AgeError.payloadAuthenticationFailed(chunk: counter)
                }
                return plaintext
            }
            if pending.count == AgePayloadStream.sealedChunkSize, stream.open(pending, counter: counter, last: false) != nil {
                throw AgeError.truncated("the input ends after chunk \(counter), which is not the final chunk")
            }
            throw AgeError.payloadAuthenticationFailed(chunk: counter)
        }
    }

    /// Unwraps the file key with the first identity that opens a stanza, then checks the MAC.
    static func openHeader(_ bytes: [UInt8], identities: [AgeIdentity]) throws -> [UInt8] {
        let header = try AgeHeader.parse(bytes)
        for identity in identities {
            if let fileKey = try identity.unwrap(header.stanzas) {
                guard fileKey.count == 16 else { throw AgeError.malformedHeader("the unwrapped file key is not 16 bytes") }
                guard header.verify(fileKey: fileKey) else { throw AgeError.headerMACMismatch }
                return fileKey
            }
        }
        throw AgeError.noMatchingIdentity(stanzas: header.stanzas.count)
    }

    /// Opens every chunk that more input follows, so it cannot be the last.
    private mutating func openFullChunks(_ stream: AgePayloadStream, _ input: Data, emit: (Data) throws -> Void) throws {
        // Local copies: the closure may not touch `self` while `chunker` is being mutated.
        var chunker = self.chunker, counter = self.counter
        defer { (self.chunker, self.counter) = (chunker, counter) }
        try chunker.feed(input) { sealed in
            guard let plaintext = stream.open(sealed, counter: counter, last: false) else {
                // A final chunk followed by more bytes is a different failure from a damaged chunk.
                if stream.open(sealed, counter: counter, last: true) != nil { throw AgeError.trailingData }
                throw AgeError.payloadAuthenticationFailed(chunk: counter)
            }
            try emit(plaintext)
            counter += 1
        }
    }

    /// Decrypts a whole buffer (for small data and tests; streams go through `update`).
    public static func decrypt<Ciphertext: DataProtocol>(_ ciphertext: Ciphertext, with identities: [AgeIdentity]) throws -> Data {
        var decryptor = AgeDecryptor(identities: identities)
        var output = try decryptor.update(ciphertext)
        output += try decryptor.finish()
        return output
    }
}
