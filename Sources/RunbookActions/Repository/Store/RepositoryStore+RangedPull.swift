import Foundation
import NIOCore

/// Pulling a large object: the age header is read first (one ranged GET), then the payload comes
/// down as concurrent ranged GETs cut at chunk boundaries, and each range is decrypted in the
/// task that downloaded it (`AgeChunkedFile`), so decryption runs on every core while the
/// plaintext's sha256 and the write stay strictly in order.
///
/// The ciphertext is not hashed again on this path. Every byte of it is authenticated by age
/// itself before its plaintext counts: the header by its HMAC (keyed by the file key, so only
/// the header that wraps this file key passes), the payload nonce because it salts the payload
/// key (a changed nonce fails the first chunk), and each chunk by its Poly1305 tag under its
/// counter, the one the listed size makes last only as the final chunk (cut, extended, reordered
/// or altered chunks fail). What is left, another valid age file in the object's place, is
/// caught by the plaintext's size and sha256 from the manifest, which are still checked: those
/// are what the restored file is. The ciphertext's sha256 cost a third of a pull's CPU
/// (benchmarks/repository/README.md); objects under `RangedReads.threshold` still check it.
extension RepositoryStore {
    /// Sealed chunks per ranged GET: 63 × (64 KiB + 16) = 4,129,776 bytes, just under 4 MiB.
    /// NIO rounds a buffer's capacity up to a power of two: 64 chunks (1 KiB over 4 MiB) made
    /// every range buffer 8 MiB, above the mmap threshold the push sets (`partsAreMapped`), so
    /// each range was a fresh mapping to fault in and zero (a 200 MiB pull: 0.95 s of CPU, not 0.6).
    static let chunksPerRange: Int64 = 63
    /// Ranges in flight or decrypted and waiting for their turn: memory is about twice this many
    /// ranges (each one's ciphertext until hashed, and its plaintext). Six took a 200 MiB pull's
    /// peak RSS to 137 MiB (benchmarks/repository/README.md); four stay under 100 MB.
    static let concurrentRanges = 4
    /// The first read, for the header: one with a single recipient is about 200 bytes.
    static let headerProbe = 64 << 10

    /// Downloads and decrypts `entry`'s object, handing each chunk's plaintext, in order, to
    /// `hash` and `write`, which run on two threads at once (`TwoLanes`): they must not share
    /// state. Throws when a chunk does not authenticate at its position, the object is shorter
    /// than listed, or a range fails.
    func decryptInRanges(_ entry: Pushed, identities: [AgeIdentity], hash: (Data) -> Void,
                         write: (Data) throws -> Void) async throws {
        var probe = Self.headerProbe
        var file: AgeChunkedFile?
        while file == nil {
            let end = min(Int64(probe), entry.ciphertextSize) - 1
            let request = S3Request(method: .GET, bucket: config.bucket, key: entry.key, headers: [("range", "bytes=0-\(end)")],
                                    operation: "GetObject (header) s3://\(config.bucket)/\(entry.key)")
            let prefix = Array(try await client.sendForBody(request, limit: probe))
            file = try AgeChunkedFile(prefix: prefix, fileSize: entry.ciphertextSize, identities: identities)
            probe = AgeDecryptor.maxHeaderSize
        }
        guard let file else { return }
        let groups = file.groups(of: Self.chunksPerRange)
        try await client.readInRanges(bucket: config.bucket, key: entry.key, groups.map(file.byteRange),
                                      concurrency: Self.concurrentRanges,
                                      transform: { sealed, index in
                                          try sealed.withUnsafeReadableBytes { try file.open($0, firstChunk: groups[index].lowerBound) }
                                      },
                                      sink: { (plain: [Data]) in
                                          try TwoLanes.run({ plain.forEach(hash) }, { try plain.forEach(write) })
                                      })
    }
}
