import Foundation

/// Why an S3 operation failed, worded for the operator. Messages name the endpoint,
/// bucket and key, never a credential.
public enum S3Error: Error, CustomStringConvertible, Sendable {
    /// SignatureDoesNotMatch, InvalidAccessKeyId and their kin: the secret or key id is wrong.
    case credentialsRejected(endpoint: String, code: String)
    /// The credentials are valid but may not do this (AccessDenied).
    case accessDenied(endpoint: String, operation: String, code: String)
    case noSuchBucket(endpoint: String, bucket: String)
    case noSuchKey(endpoint: String, bucket: String, key: String)
    /// No HTTP answer at all: connection refused, DNS, TLS, timeout.
    case unreachable(endpoint: String, reason: String)
    /// The connection broke after the request was under way (mid-download, say).
    case interrupted(endpoint: String, operation: String, reason: String)
    /// Any other error the server reported.
    case service(endpoint: String, operation: String, status: Int, code: String?, message: String?)
    /// The server answered something we cannot use (malformed XML, a missing field).
    case badResponse(endpoint: String, operation: String, reason: String)
    /// What arrived is not what was announced (size or checksum).
    case integrity(String)
    /// A ranged read's If-Match failed: the object is no longer the version listed (`etag`).
    case changedSinceListed(bucket: String, key: String, etag: String)

    public var description: String {
        switch self {
        case .credentialsRejected(let endpoint, let code):
            return "S3 rejected the credentials for endpoint \(endpoint): \(code)"
        case .accessDenied(let endpoint, let operation, let code):
            return "S3 endpoint \(endpoint) denied \(operation) for these credentials (\(code))"
        case .noSuchBucket(let endpoint, let bucket):
            return "bucket \"\(bucket)\" does not exist at S3 endpoint \(endpoint) (NoSuchBucket)"
        case .noSuchKey(let endpoint, let bucket, let key):
            return "object s3://\(bucket)/\(key) does not exist at S3 endpoint \(endpoint) (NoSuchKey)"
        case .unreachable(let endpoint, let reason):
            return "cannot reach S3 endpoint \(endpoint): \(reason)"
        case .interrupted(let endpoint, let operation, let reason):
            return "lost the connection to S3 endpoint \(endpoint) during \(operation): \(reason)"
        case .service(let endpoint, let operation, let status, let code, let message):
            var s = "S3 endpoint \(endpoint) failed \(operation): HTTP \(status)"
            if let code { s += " \(code)" }
            if let message, !message.isEmpty { s += ": \(message)" }
            return s
        case .badResponse(let endpoint, let operation, let reason):
            return "S3 endpoint \(endpoint) sent an unusable reply to \(operation): \(reason)"
        case .integrity(let what):
            return what
        case .changedSinceListed(let bucket, let key, let etag):
            return "s3://\(bucket)/\(key) was replaced while it was being copied: it is no longer the version listed (ETag \(etag)); nothing was written for it, and a re-run copies its current version"
        }
    }

    /// Error codes that mean "these credentials are not accepted" rather than "not allowed".
    static let credentialCodes: Set<String> = [
        "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidSecurity", "AuthorizationHeaderMalformed",
        "InvalidToken", "ExpiredToken", "MissingSecurityHeader",
    ]

    /// Worth another attempt: the server or the connection had a moment, the request was fine.
    var isTransient: Bool {
        switch self {
        case .service(_, _, let status, let code, _):
            return status >= 500 || code == "SlowDown" || code == "RequestTimeout"
        case .interrupted, .integrity:
            return true
        default:
            return false
        }
    }
}

/// A local file operation failed. ENOSPC gets its own wording because the fix is different.
public struct LocalIOError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var operation: String
    public var code: Int32
    /// What was done about it, e.g. "the partial file was removed".
    public var cleanup: String?

    public init(path: String, operation: String, code: Int32, cleanup: String? = nil) {
        self.path = path
        self.operation = operation
        self.code = code
        self.cleanup = cleanup
    }

    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String {
        var s: String
        if isDiskFull {
            s = "disk full while writing \(path) (\(code == ENOSPC ? "ENOSPC" : "EDQUOT")): \(String(cString: strerror(code)))"
        } else {
            s = "cannot \(operation) \(path): \(String(cString: strerror(code)))"
        }
        if let cleanup { s += "; \(cleanup)" }
        return s
    }
}
