import AsyncHTTPClient
import Crypto
import Foundation
import NIOHTTP1

/// The S3 operations the actions use, each one request (or one paginated series).
extension S3Client {
    /// Every object under `prefix`, following ListObjectsV2 continuation tokens to the end.
    public func listObjects(bucket: String, prefix: String) async throws -> [S3Object] {
        var objects: [S3Object] = []
        var token: String?
        var seenTokens = Set<String>()
        repeat {
            var query = [("list-type", "2"), ("max-keys", "1000")]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let token { query.append(("continuation-token", token)) }
            let request = S3Request(method: .GET, bucket: bucket, query: query,
                                    operation: "ListObjectsV2 s3://\(bucket)/\(prefix)")
            let page = try decode(request, try await sendForBody(request), S3Responses.listObjectsV2)
            objects += page.objects
            token = nil
            if page.isTruncated {
                // A truncated page without a new token would loop forever (or stop early, silently).
                guard let next = page.nextContinuationToken, seenTokens.insert(next).inserted else {
                    throw S3Error.badResponse(endpoint: endpoint.description, operation: request.operation,
                                              reason: "a truncated listing without a new continuation token")
                }
                token = next
            }
        } while token != nil
        return objects
    }

    /// ListBuckets: the cheapest request that proves the endpoint answers and accepts the credentials.
    public func listBuckets() async throws -> [String] {
        let request = S3Request(method: .GET, operation: "ListBuckets")
        return try decode(request, try await sendForBody(request), S3Responses.bucketNames)
    }

    /// Whether the bucket exists. A one-key listing rather than HEAD, because HEAD's
    /// error replies have no body and cannot tell wrong credentials from a forbidden bucket.
    public func bucketExists(_ bucket: String) async throws -> Bool {
        let request = S3Request(method: .GET, bucket: bucket, query: [("list-type", "2"), ("max-keys", "1")],
                                operation: "ListObjectsV2 s3://\(bucket)/")
        do {
            _ = try await sendForBody(request)
            return true
        } catch S3Error.noSuchBucket {
            return false
        }
    }

    /// Creates a bucket; returns false when it already exists and is ours.
    public func createBucket(_ bucket: String) async throws -> Bool {
        let request = S3Request(method: .PUT, bucket: bucket, operation: "CreateBucket s3://\(bucket)")
        do {
            _ = try await sendForBody(request)
            return true
        } catch S3Error.service(_, _, _, let code?, _) where code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
            // BucketAlreadyExists means "someone's" on AWS; check that it is reachable with our credentials.
            if code == "BucketAlreadyExists", try await !bucketExists(bucket) { throw S3Error.accessDenied(
                endpoint: endpoint.description, operation: request.operation, code: code) }
            return false
        }
    }

    /// HeadObject: size and ETag as listings will report them.
    func headObject(bucket: String, key: String) async throws -> (size: Int64, etag: String) {
        let request = S3Request(method: .HEAD, bucket: bucket, key: key, operation: "HeadObject s3://\(bucket)/\(key)")
        let response = try await send(request)
        _ = try await readBody(response, request: request)
        guard let size = response.headers.first(name: "content-length").flatMap({ Int64($0) }) else {
            throw S3Error.badResponse(endpoint: endpoint.description, operation: request.operation, reason: "no Content-Length")
        }
        return (size, ETag.normalize(response.headers.first(name: "etag") ?? ""))
    }

    /// GetObject; the caller streams the body.
    func getObject(bucket: String, key: String) async throws -> HTTPClientResponse {
        try await send(S3Request(method: .GET, bucket: bucket, key: key, operation: "GetObject s3://\(bucket)/\(key)"))
    }

    /// PutObject from a file, signed with its SHA-256 and checked by the server against its MD5.
    /// Returns the ETag.
    func putObject(bucket: String, key: String, file: String, size: Int64, sha256: String, md5: String) async throws -> String {
        let request = S3Request(method: .PUT, bucket: bucket, key: key,
                                headers: [("content-md5", S3Client.base64(hex: md5)),
                                          ("content-type", "application/octet-stream")],
                                body: .file(path: file, offset: 0, length: size, sha256: sha256),
                                operation: "PutObject s3://\(bucket)/\(key)")
        let response = try await send(request)
        _ = try await readBody(response, request: request)
        return ETag.normalize(response.headers.first(name: "etag") ?? "")
    }

    func createMultipartUpload(bucket: String, key: String) async throws -> String {
        let request = S3Request(method: .POST, bucket: bucket, key: key, query: [("uploads", "")],
                                headers: [("content-type", "application/octet-stream")],
                                operation: "CreateMultipartUpload s3://\(bucket)/\(key)")
        return try decode(request, try await sendForBody(request), S3Responses.uploadID)
    }

    /// UploadPart from a range of a file; returns the part's ETag.
    func uploadPart(bucket: String, key: String, uploadID: String, part: MultipartPlan.Part, file: String,
                    sha256: String, md5: String) async throws -> String {
        let request = S3Request(method: .PUT, bucket: bucket, key: key,
                                query: [("partNumber", String(part.number)), ("uploadId", uploadID)],
                                headers: [("content-md5", S3Client.base64(hex: md5))],
                                body: .file(path: file, offset: part.offset, length: part.length, sha256: sha256),
                                operation: "UploadPart \(part.number) of s3://\(bucket)/\(key)")
        let response = try await send(request)
        _ = try await readBody(response, request: request)
        guard let etag = response.headers.first(name: "etag"), !etag.isEmpty else {
            throw S3Error.badResponse(endpoint: endpoint.description, operation: request.operation, reason: "no ETag header")
        }
        return ETag.normalize(etag)
    }

    func completeMultipartUpload(bucket: String, key: String, uploadID: String,
                                 parts: [(number: Int, etag: String)]) async throws -> String {
        let body = S3Responses.completeMultipartBody(parts)
        let request = S3Request(method: .POST, bucket: bucket, key: key, query: [("uploadId", uploadID)],
                                headers: [("content-type", "application/xml")], body: .data(body),
                                operation: "CompleteMultipartUpload s3://\(bucket)/\(key)")
        return try decode(request, try await sendForBody(request), S3Responses.completedETag)
    }

    /// Best effort: an upload that is neither completed nor aborted keeps its parts on the server.
    func abortMultipartUpload(bucket: String, key: String, uploadID: String) async {
        let request = S3Request(method: .DELETE, bucket: bucket, key: key, query: [("uploadId", uploadID)],
                                operation: "AbortMultipartUpload s3://\(bucket)/\(key)")
        _ = try? await sendForBody(request)
    }

    /// DeleteObjects in batches of 1,000 (S3's limit). Any key the server could not delete is an error.
    public func deleteObjects(bucket: String, keys: [String]) async throws {
        var start = 0
        while start < keys.count {
            let batch = Array(keys[start..<min(start + 1000, keys.count)])
            let body = S3Responses.deleteBody(batch)
            let request = S3Request(method: .POST, bucket: bucket, query: [("delete", "")],
                                    headers: [("content-md5", Data(Insecure.MD5.hash(data: body)).base64EncodedString()),
                                              ("content-type", "application/xml")],
                                    body: .data(body), operation: "DeleteObjects s3://\(bucket)/")
            let failures = try decode(request, try await sendForBody(request), S3Responses.deleteFailures)
            if let first = failures.first {
                throw S3Error.service(endpoint: endpoint.description, operation: "DeleteObjects s3://\(bucket)/\(first.key)",
                                      status: 200, code: first.code,
                                      message: "\(failures.count) of \(batch.count) keys were not deleted: \(first.message)")
            }
            start += batch.count
        }
    }

    // MARK: - Helpers

    private func decode<T>(_ request: S3Request, _ data: Data, _ decoder: (Data) throws -> T) throws -> T {
        do {
            return try decoder(data)
        } catch let error as S3ResponseError {
            throw S3Error.badResponse(endpoint: endpoint.description, operation: request.operation, reason: error.reason)
        }
    }

    static func base64(hex: String) -> String {
        var bytes = [UInt8]()
        var chars = hex.utf8.makeIterator()
        while let high = chars.next(), let low = chars.next() {
            bytes.append(UInt8(hexValue(high) << 4 | hexValue(low)))
        }
        return Data(bytes).base64EncodedString()
    }

    private static func hexValue(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return 0
        }
    }
}
