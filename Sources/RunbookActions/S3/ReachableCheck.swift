import Foundation
import RunbookCore
import RunbookEngine

/// `s3.reachable`: the endpoint answers and accepts the credentials.
public struct ReachableCheck: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "s3.reachable",
        role: .check,
        summary: "The S3 endpoint answers and accepts the credentials",
        inputs: [S3ActionSupport.targetInput],
        outputs: [OutputSpec("buckets", "Buckets the credentials can see (0 when listing buckets is not allowed)")]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.builtin("check S3 endpoint \(try S3ActionSupport.endpointText(call)) answers and accepts the credentials (ListBuckets)")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await S3ActionSupport.attempt {
            try await S3ActionSupport.withClient(call, context) { client in
                do {
                    let buckets = try await client.listBuckets()
                    return .ok("S3 endpoint \(client.endpoint) answers; \(buckets.count) buckets visible", outputs: ["buckets": .int(buckets.count)])
                } catch S3Error.accessDenied {
                    // The signature was accepted (otherwise the code would be SignatureDoesNotMatch); listing buckets just is not allowed.
                    return .ok("S3 endpoint \(client.endpoint) answers and accepts the credentials (ListBuckets not allowed)",
                               outputs: ["buckets": .int(0)])
                }
            }
        }
    }
}
