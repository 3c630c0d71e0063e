import Foundation
import NIOCore

/// Pulling a large object: the age header is read first (one ranged GET), then the payload comes
/// down as concurrent ranged GETs cut at chunk boundaries, and each range is decrypted in the
/// task that downloaded it (`AgeChunkedFile`), so decryption runs on every core while the
/// ciphertext's and plaintext's sha256 and the write stay strictly in order.
extension RepositoryStore {
    /// Sealed chunks per ranged GET: 64 × (64 KiB + 16) ≈ 4 MiB.
    static let chunksPerRange: Int64 = 64
    /// Ranges in flight or decrypted and waiting for their turn: memory is about twice this many
    /// ranges (each one's ciphertext until hashed, and its plaintext). Six took a 200 MiB pull's
    /// peak RSS to 137 MiB (benchmarks/repository/README.md); four stay under 100 MB.
    static let concurrentRanges = 4
    /// The first read, for the header: one with a single recipient is about 200 bytes.
    static let headerProbe = 64 << 10

    /// Downloads and decrypts `entry`'s object, handing every ciphertext byte to `ciphertext`
    /// and every plaintext chunk to `plaintext`, both in order. Throws when a chunk does not
    /// authenticate at its position, the object is shorter than listed, or a range fails.
    /// The two run on two threads for each range (`TwoLanes`): they must not share state.
    func decryptInRanges(_ entry: Pushed, identities: [AgeIdentity], ciphertext: (UnsafeRawBufferPointer) -> Void,
                         plaintext: (Data) throws -> Void) async throws {
        var probe = Self.headerProbe
        var file: AgeChunkedFile?
        var prefix: [UInt8] = []
        while file == nil {
            let end = min(Int64(probe), entry.ciphertextSize) - 1
            let request = S3Request(method: .GET, bucket: config.bucket, key: entry.key, headers: [("range", "bytes=0-\(end)")],
                                    operation: "GetObject (header) s3://\(config.bucket)/\(entry.key)")
            prefix = Array(try await client.sendForBody(request, limit: probe))
            file = try AgeChunkedFile(prefix: prefix, fileSize: entry.ciphertextSize, identities: identities)
            probe = AgeDecryptor.maxHeaderSize
        }
        guard let file else { return }
        prefix.withUnsafeBytes { ciphertext(UnsafeRawBufferPointer(rebasing: $0[..<file.payloadOffset])) }
        let groups = file.groups(of: Self.chunksPerRange)
        try await client.readInRanges(bucket: config.bucket, key: entry.key, groups.map(file.byteRange),
                                      concurrency: Self.concurrentRanges,
                                      transform: { sealed, index in
                                          (sealed, try sealed.withUnsafeReadableBytes { try file.open($0, firstChunk: groups[index].lowerBound) })
                                      },
                                      sink: { (sealed: ByteBuffer, plain: [Data]) in
                                          try TwoLanes.run({ sealed.withUnsafeReadableBytes(ciphertext) },
                                                           { for chunk in plain { try plaintext(chunk) } })
                                      })
    }
}
