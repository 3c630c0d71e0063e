import Crypto
import AsyncHTTPClient
import Foundation
import NIOCore

/// What came down: its size, the ETag the server sent with it, and its SHA-256 when asked for.
struct FetchedObject: Sendable {
    var size: Int64
    var etag: String
    /// Nil unless the download was asked to compute it: only a manifest records it, and it is a
    /// hash of every byte.
    var sha256: String?
}

extension S3Client {
    /// Streams an object into `<path>.partial`, checks the size (and the MD5 when the ETag is
    /// one), fsyncs and renames into place. On any failure the partial file is removed. A
    /// dropped connection or server error restarts the download.
    /// When the listing gave the object's `size` and it is large, it comes down as concurrent
    /// ranged GETs written in order (`listedETag` then stands for the response's ETag, and every
    /// range must come from that version: If-Match). An object replaced since the listing comes
    /// down once more as it is now; replaced again meanwhile, it fails (`changedSinceListed`).
    /// `sha256`: also compute the content's SHA-256 (for a manifest).
    func download(bucket: String, key: String, to path: String, size: Int64? = nil, listedETag: String? = nil,
                  sha256: Bool = true) async throws -> FetchedObject {
        do {
            return try await download(bucket: bucket, key: key, to: path, asListed: size, etag: listedETag, sha256: sha256)
        } catch S3Error.changedSinceListed {
            let current = try await headObject(bucket: bucket, key: key)
            return try await download(bucket: bucket, key: key, to: path, asListed: current.size, etag: current.etag, sha256: sha256)
        }
    }

    private func download(bucket: String, key: String, to path: String, asListed size: Int64?, etag listedETag: String?,
                          sha256: Bool) async throws -> FetchedObject {
        try await withTransientRetry {
            let file = try PartialFile(finalPath: path)
            do {
                let fetched: FetchedObject
                if let size, size >= RangedReads.threshold {
                    fetched = try await self.fetchInRanges(bucket: bucket, key: key, size: size, etag: listedETag ?? "",
                                                           sha256: sha256, into: file)
                } else {
                    fetched = try await self.fetch(bucket: bucket, key: key, sha256: sha256) { try file.write($0) }
                }
                try file.commit()
                return fetched
            } catch {
                file.discard()
                throw error
            }
        }
    }

    /// The SHA-256 of an object's content, streamed (and checked against an MD5 ETag) without
    /// keeping it anywhere.
    func sha256OfObject(bucket: String, key: String) async throws -> String {
        try await withTransientRetry {
            let fetched = try await self.fetch(bucket: bucket, key: key, sha256: true) { _ in }
            guard let sha256 = fetched.sha256 else { preconditionFailure("fetch asked for the SHA-256 returned none") }
            return sha256
        }
    }

    /// GetObject, handing each received chunk to `sink` (one chunk in memory at a time:
    /// the HTTP client reads more from the socket only after `sink` returns).
    private func fetch(bucket: String, key: String, sha256 wantsSHA256: Bool,
                       sink: (UnsafeRawBufferPointer) throws -> Void) async throws -> FetchedObject {
        let response = try await getObject(bucket: bucket, key: key)
        let etag = ETag.normalize(response.headers.first(name: "etag") ?? "")
        let announced = response.headers.first(name: "content-length").flatMap { Int64($0) }
        var sha: SHA256? = wantsSHA256 ? SHA256() : nil, md5 = Self.md5ToCheck(etag), count: Int64 = 0
        do {
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { bytes in
                    try sink(bytes)
                    sha?.update(bufferPointer: bytes)
                    md5?.update(bufferPointer: bytes)
                    count += Int64(bytes.count)
                }
            }
        } catch let error as LocalIOError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw S3Error.interrupted(endpoint: endpoint.description, operation: "GetObject s3://\(bucket)/\(key)",
                                      reason: S3Client.describeNetworkError(error))
        }
        return try checked(bucket: bucket, key: key, (sha?.finalize().hex, md5?.finalize().hex), count: count, announced: announced, etag: etag)
    }

    /// `fetch` for a large object of known size: concurrent ranged GETs, written to `file` in
    /// order while the hashes run beside the write, each on a thread of its own a few ranges
    /// behind the download (`PieceLanes`); MD5 alone is the longest lane.
    private func fetchInRanges(bucket: String, key: String, size: Int64, etag: String, sha256 wantsSHA256: Bool,
                               into file: PartialFile) async throws -> FetchedObject {
        var sha = SHA256(), md5 = Self.md5ToCheck(etag), count: Int64 = 0
        var work: [(ByteBuffer) throws -> Void] = [{ buffer in try buffer.withUnsafeReadableBytes { try file.write($0) } }]
        if md5 != nil { work.append { buffer in buffer.withUnsafeReadableBytes { md5?.update(bufferPointer: $0) } } }
        if wantsSHA256 { work.append { buffer in buffer.withUnsafeReadableBytes { sha.update(bufferPointer: $0) } } }
        let lanes = PieceLanes<ByteBuffer>(backlog: RangedReads.laneBacklog, lanes: work)
        do {
            try await readInRanges(bucket: bucket, key: key, size: size, ifMatch: Self.ifMatch(for: etag)) { buffer in
                count += Int64(buffer.readableBytes)
                try await lanes.submit(buffer)
            }
            try await lanes.finish()
        } catch {
            // The lanes write to `file` and update the hashers: nothing of theirs may run after this returns.
            await lanes.drain()
            throw error
        }
        return try checked(bucket: bucket, key: key, (wantsSHA256 ? sha.finalize().hex : nil, md5?.finalize().hex), count: count,
                           announced: size, etag: etag)
    }

    /// An MD5 to compute for a plain-MD5 ETag, the only kind a whole-content MD5 can be checked
    /// against; for a multipart or opaque one it would be a hash of every byte for nothing.
    static func md5ToCheck(_ etag: String) -> Insecure.MD5? {
        if case .md5 = ETag.kind(etag) { return Insecure.MD5() }
        return nil
    }

    /// The listed ETag to send as If-Match: an MD5 or multipart one only. Those are lowercase hex
    /// on every server we know, so the normalized form we keep is the server's own; an opaque
    /// ETag might differ from it in case and would fail every range.
    static func ifMatch(for etag: String) -> String? {
        switch ETag.kind(etag) {
        case .md5, .multipart: return ETag.normalize(etag)
        case .opaque: return nil
        }
    }

    /// The size and (for an MD5 ETag) the content as announced, or an integrity error.
    private func checked(bucket: String, key: String, _ digests: (sha256: String?, md5: String?), count: Int64,
                         announced: Int64?, etag: String) throws -> FetchedObject {
        let (sha256, md5) = digests
        if let announced, announced != count {
            throw S3Error.integrity("s3://\(bucket)/\(key): received \(count) bytes of \(announced)")
        }
        if case .md5(let expected) = ETag.kind(etag), md5 != expected {
            throw S3Error.integrity("s3://\(bucket)/\(key): the content's MD5 \(md5 ?? "(not computed)") does not match its ETag \(expected)")
        }
        return FetchedObject(size: count, etag: etag, sha256: sha256)
    }

    /// Runs `body` again (up to `maxAttempts`) when it fails on a dropped connection or a
    /// server error; local errors (a full disk) and client errors fail at once.
    func withTransientRetry<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as S3Error where error.isTransient && attempt < S3Client.maxAttempts {
                // try again below
            }
            try await Task.sleep(nanoseconds: UInt64(200_000_000 << (attempt - 1)))
            attempt += 1
        }
    }
}
