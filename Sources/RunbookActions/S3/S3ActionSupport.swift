import Foundation
import RunbookCore
import RunbookEngine

/// What every `s3.*` action shares: the target input, reading it, a client's lifetime,
/// and turning failures into results.
enum S3ActionSupport {
    static let targetInput = InputSpec("target", .target(.s3), required: true, "The S3 endpoint, a profile target of kind s3")
    static let bucketInput = InputSpec("bucket", .string, required: true, "Bucket name")
    static let parallelInput = InputSpec("parallel", .int, default: .int(8), "Objects transferred at once (1-64)")

    /// The profile's S3 target, without its secrets (for plans).
    static func target(_ call: ResolvedCall, input: String = "target") throws -> S3Target {
        try call.target(input, as: S3Target.self)
    }

    /// The endpoint as shown in plans and messages: no credentials.
    static func endpointText(_ call: ResolvedCall, input: String = "target") throws -> String {
        try S3Endpoint(target(call, input: input).endpoint).description
    }

    /// Resolves credentials from the run's secrets and hands a client to `body`, shutting it down after.
    static func withClient<T>(_ call: ResolvedCall, _ context: RunContext, input: String = "target", maxConnections: Int = 8,
                              _ body: (S3Client) async throws -> T) async throws -> T {
        let connection = try S3Connection(target: target(call, input: input), secrets: context.secrets)
        let client = S3Client(connection: connection, maxConnections: maxConnections)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Runs an action body; S3, local-file and manifest failures become a failed result with
    /// their message, while bad input and cancellation propagate (the action was not attempted).
    static func attempt(_ body: () async throws -> ActionResult) async throws -> ActionResult {
        do {
            return try await body()
        } catch let error as ActionInputError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as MirrorFailure {
            var result = ActionResult.failed(error.description)
            result.outputs = mirrorOutputs(error.progress)
            return result
        } catch {
            return .failed("\(error)")
        }
    }

    static func mirrorOutputs(_ summary: MirrorSummary) -> [String: Value] {
        [
            "objects": .int(summary.objects),
            "copied": .int(summary.copied),
            "bytes": .int(Int(summary.bytesCopied)),
            "skipped": .int(summary.skipped),
            "removed": .int(summary.removed),
            "manifest": .string(summary.manifestPath ?? ""),
        ]
    }

    /// The bucket input, checked against S3's naming rules.
    static func bucket(_ call: ResolvedCall) throws -> String {
        let name = try call.string("bucket")
        try MirrorLocation.validateBucket(name, input: "bucket")
        return name
    }

    static func prefix(_ call: ResolvedCall) throws -> String {
        try MirrorLocation.folderPrefix(call.optionalString("prefix") ?? "", input: "prefix")
    }

    static func parallel(_ call: ResolvedCall) throws -> Int {
        let n = call.has("parallel") ? try call.int("parallel") : 8
        guard (1...64).contains(n) else { throw ActionInputError.invalid("parallel", "must be between 1 and 64, got \(n)") }
        return n
    }

    static func bool(_ call: ResolvedCall, _ name: String, default value: Bool) throws -> Bool {
        call.has(name) ? try call.bool(name) : value
    }

    static func int(_ call: ResolvedCall, _ name: String, default value: Int) throws -> Int {
        call.has(name) ? try call.int(name) : value
    }

    static func bytes(_ n: Int64) -> String { S3Mirror.bytes(n) }
}
