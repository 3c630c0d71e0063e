import Foundation

extension S3Client {
    /// HeadObject's `Last-Modified`: when the object was uploaded (nil when the server sends no
    /// usable date). One small request, so `info` can say when the newest WAL segment arrived
    /// without downloading it.
    func lastModified(bucket: String, key: String) async throws -> Date? {
        let request = S3Request(method: .HEAD, bucket: bucket, key: key, operation: "HeadObject s3://\(bucket)/\(key)")
        let response = try await send(request)
        _ = try await readBody(response, request: request)
        return response.headers.first(name: "last-modified").flatMap(Self.httpDate)
    }

    /// RFC 7231's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
