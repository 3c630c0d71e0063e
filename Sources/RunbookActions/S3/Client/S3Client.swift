import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One S3 request before signing. Paths and query values are decoded; the client
/// encodes them once, identically for the wire and the signature.
struct S3Request: Sendable {
    enum Body: Sendable {
        case empty
        case data(Data)
        /// Bytes already in a NIO buffer (parts built as they are encrypted): sent without the
        /// copy `.data` makes, signed with their SHA-256.
        case buffer(ByteBuffer)
        /// A byte range of a local file, streamed. `payloadHash` is its hex SHA-256, signed up front,
        /// or `UNSIGNED-PAYLOAD` when a signed Content-MD5 header protects the bytes instead.
        case file(path: String, offset: Int64, length: Int64, payloadHash: String)
    }

    var method: HTTPMethod
    var bucket: String?
    var key: String?
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: Body = .empty
    /// For messages: "ListObjectsV2 s3://media/photos/".
    var operation: String
}

/// A small S3 client: SigV4-signed, path-style requests over AsyncHTTPClient, with S3's
/// error replies turned into `S3Error`. Bodies stream in both directions.
public final class S3Client: Sendable {
    public let connection: S3Connection
    let http: HTTPClient
    /// Attempts for a request that failed on a server error (5xx, SlowDown) or a dropped connection.
    static let maxAttempts = 3

    public var endpoint: S3Endpoint { connection.endpoint }

    /// - Parameter maxConnections: the pool's bound; transfers beyond it wait for a connection.
    public init(connection: S3Connection, maxConnections: Int = 16) {
        var config = HTTPClient.Configuration()
        config.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(120))
        config.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maxConnections))
        // Without this a refused connection is retried silently until the deadline; we want to say so at once.
        config.connectionPool.retryConnectionEstablishment = false
        // A redirect would drop the signature; S3 with path-style addressing does not redirect.
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        config.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.connection = connection
    }

    /// Closes pooled connections. Call once, when the action is done with the client.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: - Sending

    /// Sends a request and returns a 2xx response with its body not yet read. Anything else
    /// becomes an `S3Error`; server errors and dropped connections are retried with backoff.
    func send(_ request: S3Request) async throws -> HTTPClientResponse {
        var attempt = 1
        while true {
            do {
                let response = try await execute(request)
                if (200..<300).contains(Int(response.status.code)) { return response }
                throw await failure(for: request, response: response)
            } catch let error as S3Error where error.isTransient && attempt < S3Client.maxAttempts {
                // fall through to retry
            } catch let error as HTTPClientError where S3Client.isDroppedConnection(error) && attempt < S3Client.maxAttempts {
                // fall through to retry
            } catch let error as S3Error {
                throw error
            } catch let error as LocalIOError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                throw S3Error.unreachable(endpoint: endpoint.description, reason: S3Client.describeNetworkError(error))
            }
            try await Task.sleep(nanoseconds: UInt64(200_000_000 << (attempt - 1)))
            attempt += 1
        }
    }

    /// Sends a request and reads its whole (small, XML) reply.
    func sendForBody(_ request: S3Request, limit: Int = 32 << 20) async throws -> Data {
        let response = try await send(request)
        return try await readBody(response, request: request, limit: limit)
    }

    func readBody(_ response: HTTPClientResponse, request: S3Request, limit: Int = 32 << 20) async throws -> Data {
        do {
            let buffer = try await response.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw S3Error.badResponse(endpoint: endpoint.description, operation: request.operation,
                                      reason: "the reply is larger than \(limit >> 20) MiB")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw S3Error.unreachable(endpoint: endpoint.description, reason: S3Client.describeNetworkError(error))
        }
    }

    private func execute(_ request: S3Request) async throws -> HTTPClientResponse {
        let payloadHash: String
        let body: HTTPClientRequest.Body?
        switch request.body {
        case .empty:
            payloadHash = SigV4Signer.emptyPayloadHash
            body = nil
        case .data(let data):
            payloadHash = SigV4Signer.hexSHA256(data)
            body = .bytes(ByteBuffer(bytes: data))
        case .buffer(let buffer):
            payloadHash = buffer.withUnsafeReadableBytes { SHA256.hash(data: $0).hex }
            body = .bytes(buffer)
        case .file(let filePath, let offset, let length, let hash):
            payloadHash = hash
            body = .stream(FileChunks(path: filePath, offset: offset, length: length), length: .known(length))
        }
        let (url, signed) = signedHead(request, payloadHash: payloadHash)
        var http = HTTPClientRequest(url: url)
        http.method = request.method
        http.headers = signed
        if let body { http.body = body }
        return try await self.http.execute(http, deadline: .distantFuture)
    }

    /// The request's URL and its headers with the SigV4 signature over them and `payloadHash`.
    func signedHead(_ request: S3Request, payloadHash: String) -> (url: String, headers: HTTPHeaders) {
        let path = endpoint.path(bucket: request.bucket, key: request.key)
        let date = Date()
        var headers = request.headers
        headers.append(("host", endpoint.hostHeader))
        headers.append(("x-amz-date", SigV4Signer.timestamps(date).full))
        headers.append(("x-amz-content-sha256", payloadHash))
        let signature = connection.signer.sign(method: request.method.rawValue, path: path, query: request.query,
                                               headers: headers, payloadHash: payloadHash, date: date)
        var signed = HTTPHeaders(headers)
        signed.add(name: "authorization", value: signature.authorization)
        return (endpoint.url(path: path, query: request.query), signed)
    }

    // MARK: - Errors

    /// Turns an error reply into an `S3Error`, reading S3's `<Error><Code>` when there is a body.
    func failure(for request: S3Request, response: HTTPClientResponse) async -> S3Error {
        let status = Int(response.status.code)
        let data = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
        var code: String?
        var message: String?
        if let root = try? S3XML.parse(data), root.name == "Error" {
            code = root.value("Code")
            message = root.value("Message").map(redacted)
        }
        return S3Client.classify(endpoint: endpoint.description, status: status, code: code, message: message, request: request)
    }

    /// Names the failure: credentials, a missing bucket or key, a refusal, or the server's own code.
    static func classify(endpoint where_: String, status: Int, code: String?, message: String?, request: S3Request) -> S3Error {
        if let code, S3Error.credentialCodes.contains(code) {
            return .credentialsRejected(endpoint: where_, code: code)
        }
        if code == "NoSuchBucket" || (code == nil && status == 404 && request.key == nil && request.bucket != nil) {
            return .noSuchBucket(endpoint: where_, bucket: request.bucket ?? "")
        }
        if code == "NoSuchKey" || (code == nil && status == 404 && request.key != nil) {
            return .noSuchKey(endpoint: where_, bucket: request.bucket ?? "", key: request.key ?? "")
        }
        if code == "AccessDenied" || (code == nil && status == 403) {
            return .accessDenied(endpoint: where_, operation: request.operation, code: code ?? "HTTP 403")
        }
        return .service(endpoint: where_, operation: request.operation, status: status, code: code, message: message)
    }

    /// Servers do not echo secrets, but a message is text from elsewhere: make sure.
    private func redacted(_ text: String) -> String {
        let secret = connection.signer.secretKey
        return secret.isEmpty ? text : text.replacingOccurrences(of: secret, with: "***")
    }

    static func isDroppedConnection(_ error: HTTPClientError) -> Bool {
        error == .remoteConnectionClosed || error == .readTimeout
    }

    /// "connection refused", "connection timed out", ... for an error that got no HTTP answer.
    static func describeNetworkError(_ error: Error) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return "connection timed out"
            case .readTimeout: return "the server stopped answering (read timeout)"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return String(describing: e)
            }
        }
        if let e = error as? NIOConnectionError {
            if let dns = e.dnsAError ?? e.dnsAAAAError { return "cannot resolve host \(e.host) (\(dns))" }
            if let first = e.connectionErrors.first { return describeNetworkError(first.error) }
            return "cannot connect to \(e.host):\(e.port)"
        }
        if let e = error as? IOError {
            return String(cString: strerror(e.errnoCode)).lowercased()
        }
        if let e = error as? ChannelError, case .connectTimeout = e { return "connection timed out" }
        return String(describing: error)
    }
}
