import Foundation
import RunbookCore
import RunbookEngine

/// `s3.bucket-exists`: the bucket is there and these credentials can list it.
public struct BucketExistsCheck: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "s3.bucket-exists",
        role: .check,
        summary: "The bucket exists and the credentials can list it",
        inputs: [S3ActionSupport.targetInput, S3ActionSupport.bucketInput]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let bucket = try S3ActionSupport.bucket(call)
        return [.builtin("check bucket \(bucket) exists at \(try S3ActionSupport.endpointText(call)) (ListObjectsV2, max-keys 1)")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let bucket = try S3ActionSupport.bucket(call)
        return try await S3ActionSupport.attempt {
            try await S3ActionSupport.withClient(call, context) { client in
                try await client.bucketExists(bucket)
                    ? .ok("bucket \(bucket) exists at \(client.endpoint)")
                    : .failed(S3Error.noSuchBucket(endpoint: client.endpoint.description, bucket: bucket).description)
            }
        }
    }
}
