import AsyncHTTPClient
import NIOCore
import Foundation

/// An incomplete multipart upload, as ListMultipartUploads reports it.
public struct S3MultipartUpload: Sendable, Equatable {
    public var key: String
    public var uploadID: String
}

/// Operations for uploads whose bytes are produced on the fly (encrypted streams) rather than
/// read from a file, and for finding and aborting uploads an interrupted run left behind.
extension S3Client {
    /// UploadPart from memory; the part's SHA-256 is signed. Returns the part's ETag.
    func uploadPart(bucket: String, key: String, uploadID: String, number: Int, data: Data) async throws -> String {
        try await uploadPart(bucket: bucket, key: key, uploadID: uploadID, number: number, body: .data(data))
    }

    /// UploadPart from a NIO buffer, sent as it is (no copy); the part's SHA-256 is signed.
    func uploadPart(bucket: String, key: String, uploadID: String, number: Int, buffer: ByteBuffer) async throws -> String {
        try await uploadPart(bucket: bucket, key: key, uploadID: uploadID, number: number, body: .buffer(buffer))
    }

    private func uploadPart(bucket: String, key: String, uploadID: String, number: Int, body: S3Request.Body) async throws -> String {
        let request = S3Request(method: .PUT, bucket: bucket, key: key,
                                query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                body: body, operation: "UploadPart \(number) of s3://\(bucket)/\(key)")
        let response = try await send(request)
        _ = try await readBody(response, request: request)
        guard let etag = response.headers.first(name: "etag"), !etag.isEmpty else {
            throw S3Error.badResponse(endpoint: endpoint.description, operation: request.operation, reason: "no ETag header")
        }
        return ETag.normalize(etag)
    }

    /// PutObject from memory (small objects: manifests).
    func putObject(bucket: String, key: String, data: Data, contentType: String) async throws {
        let request = S3Request(method: .PUT, bucket: bucket, key: key, headers: [("content-type", contentType)],
                                body: .data(data), operation: "PutObject s3://\(bucket)/\(key)")
        _ = try await sendForBody(request)
    }

    /// Every incomplete multipart upload under `prefix`, following the listing's markers.
    func listMultipartUploads(bucket: String, prefix: String) async throws -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var markers: (key: String, uploadID: String)?
        repeat {
            var query = [("uploads", ""), ("prefix", prefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.uploadID)] }
            let request = S3Request(method: .GET, bucket: bucket, query: query,
                                    operation: "ListMultipartUploads s3://\(bucket)/\(prefix)")
            let data: Data
            do {
                data = try await sendForBody(request)
            } catch S3Error.service(_, _, 404, "NoSuchUpload"?, _) {
                // rclone serve s3 (gofakes3) answers a bucket without any upload this way.
                return uploads
            }
            guard let root = try? S3XML.parse(data), root.name == "ListMultipartUploadsResult" else {
                throw S3Error.badResponse(endpoint: endpoint.description, operation: request.operation,
                                          reason: "expected <ListMultipartUploadsResult>")
            }
            uploads += root.all("Upload").compactMap { upload in
                guard let key = upload.value("Key"), let id = upload.value("UploadId") else { return nil }
                return S3MultipartUpload(key: key, uploadID: id)
            }
            markers = nil
            if root.value("IsTruncated")?.lowercased() == "true",
               let key = root.value("NextKeyMarker"), let id = root.value("NextUploadIdMarker"), !key.isEmpty {
                markers = (key, id)
            }
        } while markers != nil
        return uploads
    }
}
