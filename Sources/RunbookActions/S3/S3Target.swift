import RunbookCore

extension TargetKindID {
    /// An S3-compatible endpoint.
    public static let s3 = TargetKindID("s3")
}

/// Target kind `s3`: an S3-compatible endpoint (MinIO in production), path-style addressing.
public struct S3Target: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.s3, of: S3Target.self, summary: "An S3-compatible endpoint (MinIO in production), path-style addressing.", keys: [
        TargetKeySpec("endpoint", .string, required: true, "The endpoint URL, e.g. `http://127.0.0.1:9000`."),
        TargetKeySpec("region", .string, default: "us-east-1", "Signing region."),
        TargetKeySpec("access_key", .credential, required: true, "Access key id: an identifier, so it may be written literally, or `${secrets.NAME}`."),
        TargetKeySpec("secret_key", .secret, required: true, "Secret access key, as `${secrets.NAME}`."),
    ])

    public var endpoint: String
    public var region: String
    /// The access key id may be written literally (it is an identifier, not a secret).
    public var accessKey: Credential
    /// Always a secret reference: a literal secret key in a profile is rejected.
    public var secretKey: Credential

    public init(endpoint: String, region: String = "us-east-1", accessKey: Credential, secretKey: Credential) {
        self.endpoint = endpoint
        self.region = region
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    public init(fields: TargetFields) {
        self.init(endpoint: fields.string("endpoint") ?? "", region: fields.string("region") ?? "us-east-1",
                  accessKey: fields.credential("access_key") ?? .literal(""), secretKey: fields.credential("secret_key") ?? .secret(""))
    }

    public var secretNames: [String] {
        [accessKey, secretKey].compactMap { if case .secret(let name) = $0, !name.isEmpty { return name } else { return nil } }
    }
}

extension TargetBinding {
    public static func s3(_ target: S3Target) -> TargetBinding { TargetBinding(target) }
}
