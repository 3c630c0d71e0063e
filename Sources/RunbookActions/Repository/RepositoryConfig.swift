import Foundation
import RunbookCore

/// Where a repository lives and whom it encrypts to. A plain value until the repository
/// becomes a profile target kind (issue 16); credentials arrive already resolved.
public struct RepositoryConfig: Sendable {
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

    var manifestKey: String { prefix + "manifest.json" }
    var objectsPrefix: String { prefix + "objects/" }

    func connection() throws -> S3Connection {
        try S3Connection(target: S3Target(endpoint: endpoint, region: region, accessKey: .literal(accessKey),
                                          secretKey: .literal(secretKey)), secrets: [:])
    }
}
