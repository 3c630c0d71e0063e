import Foundation
import RunbookCore

/// Where requests go, parsed once from the profile's `endpoint`. Path-style addressing
/// (`http://host:port/bucket/key`), MinIO's default and the only form that works
/// without wildcard DNS.
public struct S3Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// A path the server lives under (behind a reverse proxy), without a trailing slash; usually empty.
    public var basePath: String

    /// Parses `http://127.0.0.1:9000` and the like. Errors name the input, never a credential.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text.trimmingCharacters(in: .whitespaces)),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty
        else {
            throw ActionInputError.invalid("target", "S3 endpoint \"\(text)\" must be an http:// or https:// URL with a host")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil else {
            throw ActionInputError.invalid("target", "S3 endpoint \"\(text)\" must not carry a query, fragment or user")
        }
        self.scheme = scheme
        self.host = host
        self.port = components.port
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// The `Host` header, exactly as signed: the port appears only when it is not the scheme's default.
    public var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        guard let port, port != (scheme == "https" ? 443 : 80) else { return bracketed }
        return "\(bracketed):\(port)"
    }

    /// The decoded request path for a bucket and key (`/bucket/key`), or `/` for the service.
    public func path(bucket: String?, key: String?) -> String {
        var p = basePath
        if let bucket { p += "/" + bucket }
        if let key { p += "/" + key }
        return p.isEmpty ? "/" : p
    }

    /// The URL to send; `path` is encoded the same way the signer encodes it.
    func url(path: String, query: [(String, String)]) -> String {
        var s = "\(scheme)://\(hostHeader)\(SigV4Signer.encodePath(path))"
        if !query.isEmpty {
            // Flags such as `?uploads` go out as `uploads=`, the same text the signature covers.
            s += "?" + query.map { "\(SigV4Signer.encode($0.0, keepSlash: false))=\(SigV4Signer.encode($0.1, keepSlash: false))" }
                .joined(separator: "&")
        }
        return s
    }

    public var description: String { "\(scheme)://\(hostHeader)\(basePath)" }
}

/// The profile's S3 target with its credentials looked up: the one place secrets are read.
public struct S3Connection: Sendable {
    public var endpoint: S3Endpoint
    public var region: String
    var signer: SigV4Signer

    /// Resolves the target's credentials from the run's secrets. A missing secret is an
    /// input error naming the secret, not its value.
    public init(target: S3Target, secrets: [String: String]) throws {
        endpoint = try S3Endpoint(target.endpoint)
        region = target.region.isEmpty ? "us-east-1" : target.region
        let access = try S3Connection.resolve(target.accessKey, field: "access_key", secrets: secrets)
        let secret = try S3Connection.resolve(target.secretKey, field: "secret_key", secrets: secrets)
        guard !access.isEmpty, !secret.isEmpty else {
            throw ActionInputError.invalid("target", "the S3 target's access_key and secret_key must not be empty")
        }
        signer = SigV4Signer(accessKey: access, secretKey: secret, region: region)
    }

    static func resolve(_ credential: Credential, field: String, secrets: [String: String]) throws -> String {
        switch credential {
        case .literal(let value):
            return value
        case .secret(let name):
            guard let value = secrets[name] else {
                throw ActionInputError.invalid("target", "secret \"\(name)\" (the S3 target's \(field)) is not available")
            }
            return value
        }
    }
}
