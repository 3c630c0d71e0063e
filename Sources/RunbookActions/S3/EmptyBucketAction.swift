import Foundation
import RunbookCore
import RunbookEngine

/// `s3.empty-bucket`: deletes every object under a prefix (the whole bucket by default).
/// Destructive by declaration, so runs need a confirmation.
public struct EmptyBucketAction: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "s3.empty-bucket",
        summary: "Delete every object in a bucket, or under a prefix",
        inputs: [
            S3ActionSupport.targetInput,
            S3ActionSupport.bucketInput,
            InputSpec("prefix", .string, "Delete only under this prefix (a folder: photos means photos/)"),
        ],
        outputs: [OutputSpec("removed", "Objects deleted")],
        destructive: true
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let bucket = try S3ActionSupport.bucket(call)
        let prefix = try S3ActionSupport.prefix(call)
        return [.builtin("delete every object under s3://\(bucket)/\(prefix) at \(try S3ActionSupport.endpointText(call)) (ListObjectsV2, DeleteObjects in batches of 1000, then list again to confirm it is empty)")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let bucket = try S3ActionSupport.bucket(call)
        let prefix = try S3ActionSupport.prefix(call)
        return try await S3ActionSupport.attempt {
            try await S3ActionSupport.withClient(call, context) { client in
                let keys = try await client.listObjects(bucket: bucket, prefix: prefix).map(\.key)
                try await client.deleteObjects(bucket: bucket, keys: keys)
                context.audit("s3.empty-bucket", ["location": .string("s3://\(bucket)/\(prefix)"), "removed": .int(keys.count)])
                let left = try await client.listObjects(bucket: bucket, prefix: prefix)
                guard left.isEmpty else {
                    return .failed("deleted \(keys.count) objects under s3://\(bucket)/\(prefix), but \(left.count) are still listed (written meanwhile?)")
                }
                return .ok("deleted \(keys.count) objects under s3://\(bucket)/\(prefix)", outputs: ["removed": .int(keys.count)])
            }
        }
    }
}
