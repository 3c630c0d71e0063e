import Foundation
import RunbookCore
import RunbookEngine

/// `s3.create-bucket`: makes sure a bucket exists, for restoring into a fresh server.
public struct CreateBucketAction: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "s3.create-bucket",
        summary: "Create a bucket unless it already exists",
        inputs: [S3ActionSupport.targetInput, S3ActionSupport.bucketInput],
        outputs: [OutputSpec("created", "true when the bucket was created, false when it already existed")]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let bucket = try S3ActionSupport.bucket(call)
        return [.builtin("create bucket \(bucket) at \(try S3ActionSupport.endpointText(call)) unless it exists (CreateBucket)")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let bucket = try S3ActionSupport.bucket(call)
        return try await S3ActionSupport.attempt {
            try await S3ActionSupport.withClient(call, context) { client in
                try await client.createBucket(bucket)
                    ? .ok("created bucket \(bucket) at \(client.endpoint)", outputs: ["created": .bool(true)])
                    : .ok("bucket \(bucket) already exists at \(client.endpoint)", outputs: ["created": .bool(false)])
            }
        }
    }
}
