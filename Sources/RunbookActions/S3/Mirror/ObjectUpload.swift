import Foundation
import NIOPosix

/// What went up: the object's new ETag and the SHA-256 of the file it came from.
struct UploadedObject: Sendable {
    var etag: String
    var sha256: String
}

extension S3Client {
    /// Uploads a file, streamed from disk: one PutObject below `MultipartPlan.threshold`,
    /// parts in parallel above it. Every body is signed with its SHA-256 and carries its MD5,
    /// so the server rejects bytes that changed in transit. `digest` saves a pass when the
    /// caller already hashed the file.
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
            // The whole file's SHA-256 (for the manifest) is computed while the parts travel.
            async let whole = S3Client.digest(file, size: size, reusing: digest)
            var etags: [(number: Int, etag: String)] = []
            try await forEachConcurrently(MultipartPlan.parts(for: size), limit: MultipartPlan.concurrency) { part in
                let d = try await S3Client.digest(file, offset: part.offset, size: part.length)
                let etag = try await self.uploadPart(bucket: bucket, key: key, uploadID: uploadID, part: part,
                                                     file: file, sha256: d.sha256, md5: d.md5)
                return (part.number, etag)
            } onResult: { etags.append($0) }
            let fileDigest = try await whole
            _ = try await completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: etags)
            // The completion reply's ETag is not always the one listings show later (rclone answers
            // md5-N, then lists the plain MD5); the manifest records what a listing will show.
            let stored = try await headObject(bucket: bucket, key: key)
            guard stored.size == size else {
                throw S3Error.integrity("s3://\(bucket)/\(key): the server stored \(stored.size) bytes of \(size) after CompleteMultipartUpload")
            }
            return UploadedObject(etag: stored.etag, sha256: fileDigest.sha256)
        } catch {
            await abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Hashes a file range on NIO's blocking-I/O pool, off the cooperative threads, unless
    /// the caller already has the digest.
    static func digest(_ file: String, offset: Int64 = 0, size: Int64, partSizes: [Int64] = [],
                       reusing known: FileDigest? = nil) async throws -> FileDigest {
        if let known { return known }
        return try await NIOThreadPool.singleton.runIfActive {
            try FileDigest.compute(path: file, offset: offset, size: size, partSizes: partSizes)
        }
    }
}
