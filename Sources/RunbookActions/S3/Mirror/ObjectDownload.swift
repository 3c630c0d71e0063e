import AsyncHTTPClient
import Foundation
import NIOCore

/// What came down: the bytes' size and digests, and the ETag the server sent with them.
struct FetchedObject: Sendable {
    var size: Int64
    var etag: String
    var sha256: String
    var md5: String
}

extension S3Client {
    /// Streams an object into `<path>.partial`, hashing as it goes, checks the size (and the
    /// MD5 when the ETag is one), fsyncs and renames into place. On any failure the partial
    /// file is removed. A dropped connection or server error restarts the download.
    func download(bucket: String, key: String, to path: String) async throws -> FetchedObject {
        try await withTransientRetry {
            let file = try PartialFile(finalPath: path)
            do {
                let fetched = try await self.fetch(bucket: bucket, key: key) { try file.write($0) }
                try file.commit()
                return fetched
            } catch {
                file.discard()
                throw error
            }
        }
    }

    /// Streams an object through SHA-256 and MD5 without keeping it anywhere.
    func hashObject(bucket: String, key: String) async throws -> FetchedObject {
        try await withTransientRetry {
            try await self.fetch(bucket: bucket, key: key) { _ in }
        }
    }

    /// GetObject, handing each received chunk to `sink` (one chunk in memory at a time:
    /// the HTTP client reads more from the socket only after `sink` returns).
    private func fetch(bucket: String, key: String,
                       sink: (UnsafeRawBufferPointer) throws -> Void) async throws -> FetchedObject {
        let response = try await getObject(bucket: bucket, key: key)
        let etag = ETag.normalize(response.headers.first(name: "etag") ?? "")
        let announced = response.headers.first(name: "content-length").flatMap { Int64($0) }
        var hasher = ContentHasher()
        do {
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { bytes in
                    try sink(bytes)
                    hasher.update(bytes)
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
        let (sha256, md5) = hasher.finalize()
        if let announced, announced != hasher.count {
            throw S3Error.integrity("s3://\(bucket)/\(key): received \(hasher.count) bytes of \(announced)")
        }
        if case .md5(let expected) = ETag.kind(etag), expected != md5 {
            throw S3Error.integrity("s3://\(bucket)/\(key): the content's MD5 \(md5) does not match its ETag \(expected)")
        }
        return FetchedObject(size: hasher.count, etag: etag, sha256: sha256, md5: md5)
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
