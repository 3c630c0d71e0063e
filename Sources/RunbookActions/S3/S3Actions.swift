import RunbookCore
import RunbookEngine

/// The `s3.*` actions and checks: a SigV4 client of our own over AsyncHTTPClient, so a DR
/// host needs no `mc` or `aws` binary.
public enum S3Actions {
    public static let all: [any ExecutableAction] = [
        MirrorAction(),
        VerifyManifestCheck(),
        BucketExistsCheck(),
        ObjectCountCheck(),
        ReachableCheck(),
        EmptyBucketAction(),
        CreateBucketAction(),
    ]
}
