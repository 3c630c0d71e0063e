import RunbookCore

extension TargetKindID {
    /// The offsite, encrypted repository.
    public static let repository = TargetKindID("repository")
}

/// Target kind `repository`: where the offsite copy lives (an S3 bucket and prefix, on a
/// server other than the one it protects) and whom it is encrypted to.
///
/// The private identity is deliberately not a key of the target: every run that uses the
/// target would then resolve it, and the host being backed up must be able to push without
/// being able to read what it pushed. Restoring actions take it as their own `identity`
/// input (`${secrets.NAME}`), so only runs that decrypt ask for it.
public struct RepositoryTarget: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.repository, of: RepositoryTarget.self, summary: "The offsite, encrypted repository: an S3 bucket and prefix, and the age recipients every object is encrypted to (docs/repository.md).", keys: [
        TargetKeySpec("endpoint", .string, required: true, "The S3 endpoint URL of the repository's server, e.g. `https://s3.eu-central-1.amazonaws.com`; not the server the backups protect."),
        TargetKeySpec("region", .string, default: "us-east-1", "Signing region."),
        TargetKeySpec("bucket", .string, required: true, "The bucket; it must exist."),
        TargetKeySpec("prefix", .string, "Key prefix of everything the repository writes, e.g. `aqstream/`; none when absent."),
        TargetKeySpec("access_key", .credential, required: true, "Access key id, literal or `${secrets.NAME}`."),
        TargetKeySpec("secret_key", .secret, required: true, "Secret access key, as `${secrets.NAME}`."),
        TargetKeySpec("recipients", .stringList, required: true, "age X25519 recipients (`age1...`, from `age-keygen -y`); every object is encrypted to all of them. Public keys: they may be written literally.",
                      check: RecipientKeyCheck.problem),
    ])

    public var endpoint: String
    public var region: String
    public var bucket: String
    public var prefix: String
    public var accessKey: Credential
    public var secretKey: Credential
    public var recipients: [String]

    public init(endpoint: String, region: String = "us-east-1", bucket: String, prefix: String = "",
                accessKey: Credential, secretKey: Credential, recipients: [String]) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.recipients = recipients
    }

    public init(fields: TargetFields) {
        self.init(endpoint: fields.string("endpoint") ?? "", region: fields.string("region") ?? "us-east-1",
                  bucket: fields.string("bucket") ?? "", prefix: fields.string("prefix") ?? "",
                  accessKey: fields.credential("access_key") ?? .literal(""),
                  secretKey: fields.credential("secret_key") ?? .secret(""),
                  recipients: fields.strings("recipients") ?? [])
    }

    public var secretNames: [String] {
        [accessKey, secretKey].compactMap { if case .secret(let name) = $0, !name.isEmpty { return name } else { return nil } }
    }

    /// `s3://bucket/prefix`, for plans and messages.
    public var location: String { "s3://\(bucket)/\(prefix)" }
}

extension TargetBinding {
    public static func repository(_ target: RepositoryTarget) -> TargetBinding { TargetBinding(target) }
}
