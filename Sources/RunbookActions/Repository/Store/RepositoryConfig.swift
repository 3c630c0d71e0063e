import Foundation
import RunbookCore

/// A repository target with its credentials resolved: what `RepositoryStore` and the WAL
/// commands (which run without a profile) work from.
public struct RepositoryConfig: Sendable, Codable, Equatable {
    public var endpoint: String
    public var region: String
    public var accessKey: String
    public var secretKey: String
    public var bucket: String
    /// Key prefix of everything the repository writes, e.g. "prod/" (may be empty).
    public var prefix: String
    /// `age1…` recipients every object is encrypted to.
    public var recipients: [String]

    public init(endpoint: String, region: String = "us-east-1", accessKey: String, secretKey: String,
                bucket: String, prefix: String, recipients: [String]) {
        self.endpoint = endpoint
        self.region = region
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.bucket = bucket
        self.prefix = prefix
        self.recipients = recipients
    }

    /// Resolves the target's credentials from the run's secrets; a missing one is an input
    /// error naming the secret, never showing a value.
    public init(target: RepositoryTarget, secrets: [String: String]) throws {
        let s3 = S3Target(endpoint: target.endpoint, region: target.region, accessKey: target.accessKey, secretKey: target.secretKey)
        self.init(endpoint: target.endpoint, region: target.region.isEmpty ? "us-east-1" : target.region,
                  accessKey: try S3Connection.resolve(s3.accessKey, field: "access_key", secrets: secrets),
                  secretKey: try S3Connection.resolve(s3.secretKey, field: "secret_key", secrets: secrets),
                  bucket: target.bucket, prefix: target.prefix, recipients: target.recipients)
    }

    /// The table of contents of one namespace (the first component of an object's name:
    /// `dumps`, `media`, `base`, ...). One per namespace, so that writers of different
    /// namespaces (a backup and a base backup) never rewrite each other's manifest.
    func manifestKey(namespace: String) -> String { prefix + "manifests/" + namespace + ".json" }
    func objectsPrefix(namespace: String) -> String { prefix + "objects/" + namespace + "/" }

    func connection() throws -> S3Connection {
        try S3Connection(target: S3Target(endpoint: endpoint, region: region, accessKey: .literal(accessKey),
                                          secretKey: .literal(secretKey)), secrets: [:])
    }
}

extension RepositoryConfig: CustomStringConvertible, CustomDebugStringConvertible {
    /// Never the keys: this value is logged in errors.
    public var description: String { "repository s3://\(bucket)/\(prefix) at \(endpoint)" }
    public var debugDescription: String { description }
}
