import Foundation

/// An age file of known size whose payload chunks are opened independently, by position: what
/// a reader that downloads ranges of the file concurrently needs to decrypt them in parallel.
/// STREAM allows it: each chunk's nonce is its counter and the last-chunk flag, so a chunk
/// opens on its own once the header (and so the payload key) is known.
///
/// The guarantees of `AgeDecryptor` hold: nothing opens before the header's MAC is verified;
/// each opened chunk is authenticated at its position; and, since the file's size says which
/// chunk is the last, that chunk is opened only as the final one, so a file cut or extended at
/// a chunk boundary fails at its last chunk. Plaintext is still provisional until every chunk
/// up to the last has opened: write it somewhere provisional, as with the streaming decryptor.
struct AgeChunkedFile: Sendable {
    /// Where the payload's first chunk starts: the header and the 16-byte nonce.
    let payloadOffset: Int
    let chunkCount: Int64
    private let fileSize: Int64
    private let stream: AgePayloadStream

    /// Opens the header at the start of `prefix`, which holds the file's first bytes; nil when
    /// the header and nonce do not end within `prefix` (read a longer one). Throws what
    /// `AgeDecryptor` would: not age, malformed header, no matching identity, MAC mismatch, no chunks.
    init?(prefix: [UInt8], fileSize: Int64, identities: [AgeIdentity]) throws {
        let magic = Array("age-encryption.org/".utf8)
        guard prefix.prefix(magic.count).elementsEqual(magic.prefix(prefix.count)) else {
            throw AgeError.malformedHeader("the input does not start with \"\(AgeHeader.versionLine)\"")
        }
        var scanned = 0
        guard let end = AgeHeader.end(in: prefix, scannedUpTo: &scanned) else {
            if prefix.count >= AgeDecryptor.maxHeaderSize || Int64(prefix.count) >= fileSize {
                throw prefix.count >= AgeDecryptor.maxHeaderSize
                    ? AgeError.malformedHeader("no header end within \(AgeDecryptor.maxHeaderSize >> 20) MiB")
                    : AgeError.malformedHeader("the header does not end")
            }
            return nil
        }
        let fileKey = try AgeDecryptor.openHeader(Array(prefix[..<end]), identities: identities)
        guard prefix.count >= end + AgePayloadStream.nonceSize else {
            if Int64(prefix.count) >= fileSize {
                throw AgeError.malformedHeader("the input ends before the 16-byte payload nonce is complete (truncated file)")
            }
            return nil
        }
        payloadOffset = end + AgePayloadStream.nonceSize
        stream = AgePayloadStream(fileKey: fileKey, nonce: Array(prefix[end..<payloadOffset]))
        self.fileSize = fileSize
        let payload = fileSize - Int64(payloadOffset)
        guard payload > 0 else { throw AgeError.truncated("the payload has no chunks") }
        chunkCount = (payload + Int64(AgePayloadStream.sealedChunkSize) - 1) / Int64(AgePayloadStream.sealedChunkSize)
    }

    /// The file's bytes (inclusive, as a Range header takes them) holding chunks `chunks`.
    func byteRange(_ chunks: Range<Int64>) -> ClosedRange<Int64> {
        let size = Int64(AgePayloadStream.sealedChunkSize)
        return Int64(payloadOffset) + chunks.lowerBound * size...min(Int64(payloadOffset) + chunks.upperBound * size, fileSize) - 1
    }

    /// The payload cut into groups of `chunksPerGroup` chunks, in order.
    func groups(of chunksPerGroup: Int64) -> [Range<Int64>] {
        stride(from: Int64(0), to: chunkCount, by: Int(chunksPerGroup)).map { $0..<min($0 + chunksPerGroup, chunkCount) }
    }

    /// Opens the sealed chunks in `sealed`, contiguous from chunk `first`, and returns their
    /// plaintexts in order; the file's last chunk is opened as the final one. They are not joined
    /// into one buffer: a fresh 4 MiB buffer per range, filled by copying, cost a pull a tenth of
    /// its CPU in copies and page faults (benchmarks/repository/README.md), and each chunk is
    /// hashed and written as it is.
    func open(_ sealed: UnsafeRawBufferPointer, firstChunk first: Int64) throws -> [Data] {
        let whole = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: sealed.baseAddress!), count: sealed.count, deallocator: .none)
        var plaintexts: [Data] = []
        plaintexts.reserveCapacity((whole.count + AgePayloadStream.sealedChunkSize - 1) / AgePayloadStream.sealedChunkSize)
        var start = 0, counter = first
        while start < whole.count {
            let end = min(start + AgePayloadStream.sealedChunkSize, whole.count)
            plaintexts.append(try open(whole[start..<end], counter: counter))
            start = end
            counter += 1
        }
        return plaintexts
    }

    private func open(_ chunk: Data, counter: Int64) throws -> Data {
        let position = UInt64(counter)
        guard counter == chunkCount - 1 else {
            if let plaintext = stream.open(chunk, counter: position, last: false) { return plaintext }
            // A final chunk followed by more bytes is a different failure from a damaged chunk.
            if stream.open(chunk, counter: position, last: true) != nil { throw AgeError.trailingData }
            throw AgeError.payloadAuthenticationFailed(chunk: position)
        }
        if let plaintext = stream.open(chunk, counter: position, last: true) {
            // An empty final chunk is allowed only as the whole (empty) payload.
            guard !plaintext.isEmpty || counter == 0 else { throw AgeError.payloadAuthenticationFailed(chunk: position) }
            return plaintext
        }
        if chunk.count == AgePayloadStream.sealedChunkSize, stream.open(chunk, counter: position, last: false) != nil {
            throw AgeError.truncated("the input ends after chunk \(counter), which is not the final chunk")
        }
        throw AgeError.payloadAuthenticationFailed(chunk: position)
    }
}
