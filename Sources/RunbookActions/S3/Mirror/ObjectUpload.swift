import Foundation
import NIOPosix

/// What went up: the object's new ETag and the SHA-256 of the file it came from.
struct UploadedObject: Sendable {
    var etag: String
    var sha256: String
}

extension S3Client {
    /// Uploads a file, streamed from disk: one PutObject below `MultipartPlan.threshold`,
    /// parts in parallel above it. Every body carries its MD5 in a signed Content-MD5 header
    /// (a PutObject body is also signed with its SHA-256), so the server rejects bytes that
    /// changed in transit. `digest` saves a pass when the caller already hashed the file.
    func upload(file: String, size: Int64, digest: FileDigest?, bucket: String, key: String) async throws -> UploadedObject {
        if size < MultipartPlan.threshold {
            let d = try await S3Client.digest(file, size: size, reusing: digest)
            let etag = try await putObject(bucket: bucket, key: key, file: file, size: size, sha256: d.sha256, md5: d.md5)
            return UploadedObject(etag: etag, sha256: d.sha256)
        }
        return try await uploadMultipart(file: file, size: size, digest: digest, bucket: bucket, key: key)
    }

    private func uploadMultipart(file: String, size: Int64, digest: FileDigest?, bucket: String, key: String) async throws -> UploadedObject {
        let uploadID = try await createMultipartUpload(bucket: bucket, key: key)
        do {
            // The whole file's SHA-256 (for the manifest) is computed while the parts travel;
            // each part is hashed (MD5) by the task that sends it.
            async let wholeSHA256 = S3Client.blocking { try digest?.sha256 ?? FileDigest.sha256(path: file, size: size) }
            var etags: [(number: Int, etag: String)] = []
            try await forEachConcurrently(MultipartPlan.parts(for: size), limit: MultipartPlan.concurrency) { part in
                let md5 = try await S3Client.blocking { try FileDigest.md5(path: file, offset: part.offset, size: part.length) }
                let etag = try await self.uploadPart(bucket: bucket, key: key, uploadID: uploadID, part: part, file: file, md5: md5)
                return (part.number, etag)
            } onResult: { etags.append($0) }
            let sha256 = try await wholeSHA256
            _ = try await completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: etags)
            // The completion reply's ETag is not always the one listings show later (rclone answers
            // md5-N, then lists the plain MD5); the manifest records what a listing will show.
            let stored = try await headObject(bucket: bucket, key: key)
            guard stored.size == size else {
                throw S3Error.integrity("s3://\(bucket)/\(key): the server stored \(stored.size) bytes of \(size) after CompleteMultipartUpload")
            }
            return UploadedObject(etag: stored.etag, sha256: sha256)
        } catch {
            await abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Runs blocking file work (hashing) on NIO's blocking-I/O pool, off the cooperative threads.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    /// Hashes a file on NIO's blocking-I/O pool, unless the caller already has the digest.
    static func digest(_ file: String, size: Int64, partSizes: [Int64] = [],
                       reusing known: FileDigest? = nil) async throws -> FileDigest {
        if let known { return known }
        return try await blocking { try FileDigest.compute(path: file, size: size, partSizes: partSizes) }
    }
}
