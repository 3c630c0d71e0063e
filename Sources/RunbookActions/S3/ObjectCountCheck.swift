import Foundation
import RunbookCore
import RunbookEngine

/// `s3.object-count`: a bucket (or prefix) holds at least so many objects and bytes; the
/// guard against backing up, or restoring, an empty bucket.
public struct ObjectCountCheck: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "s3.object-count",
        role: .check,
        summary: "A bucket or prefix holds at least a number of objects and bytes",
        inputs: [
            S3ActionSupport.targetInput,
            S3ActionSupport.bucketInput,
            InputSpec("prefix", .string, "Count only under this prefix (a folder: photos means photos/)"),
            InputSpec("min_objects", .int, default: .int(1), "Fewest objects that pass"),
            InputSpec("min_bytes", .int, default: .int(0), "Smallest total size in bytes that passes"),
        ],
        outputs: [
            OutputSpec("objects", "Objects found"),
            OutputSpec("bytes", "Their total size"),
        ]
    )

    struct Request {
        var bucket: String
        var prefix: String
        var minObjects: Int
        var minBytes: Int
    }

    func request(_ call: ResolvedCall) throws -> Request {
        let r = Request(bucket: try S3ActionSupport.bucket(call), prefix: try S3ActionSupport.prefix(call),
                        minObjects: try S3ActionSupport.int(call, "min_objects", default: 1),
                        minBytes: try S3ActionSupport.int(call, "min_bytes", default: 0))
        guard r.minObjects >= 0 else { throw ActionInputError.invalid("min_objects", "must not be negative") }
        guard r.minBytes >= 0 else { throw ActionInputError.invalid("min_bytes", "must not be negative") }
        return r
    }

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try request(call)
        return [.builtin("check s3://\(r.bucket)/\(r.prefix) at \(try S3ActionSupport.endpointText(call)) holds at least \(r.minObjects) objects and \(r.minBytes) bytes (ListObjectsV2)")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try request(call)
        return try await S3ActionSupport.attempt {
            let objects = try await S3ActionSupport.withClient(call, context) { client in
                try await client.listObjects(bucket: r.bucket, prefix: r.prefix).filter { !$0.key.hasSuffix("/") }
            }
            let bytes = objects.reduce(Int64(0)) { $0 + $1.size }
            let found = "s3://\(r.bucket)/\(r.prefix) holds \(objects.count) objects, \(S3ActionSupport.bytes(bytes)) (\(bytes) bytes)"
            let passed = objects.count >= r.minObjects && bytes >= Int64(r.minBytes)
            var result = passed ? ActionResult.ok(found)
                                : ActionResult.failed("\(found); expected at least \(r.minObjects) objects and \(r.minBytes) bytes")
            result.outputs = ["objects": .int(objects.count), "bytes": .int(Int(bytes))]
            return result
        }
    }
}
