import Foundation
import RunbookCore
import RunbookEngine

/// `s3.mirror`: a bucket (or prefix) to a local directory, or back, like `mc mirror`.
public struct MirrorAction: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "s3.mirror",
        summary: "Mirror a bucket or prefix to a local directory, or a directory to a bucket, copying only what differs",
        inputs: [
            S3ActionSupport.targetInput,
            InputSpec("from", .string, required: true, "Source: s3://bucket[/prefix] or a local directory"),
            InputSpec("to", .string, required: true, "Destination: a local directory or s3://bucket[/prefix] (the other kind than from)"),
            InputSpec("remove", .bool, default: .bool(false),
                      "Delete objects or files that exist only at the destination, after every copy succeeded; refused when the source is empty"),
            S3ActionSupport.parallelInput,
            InputSpec("manifest", .path,
                      "Write a JSON manifest (key, size, etag, sha256 per object) here; an existing one also proves unchanged files on a re-run. Without one, no sha256 is computed: a download is checked by its size and, where the ETag is a plain MD5, by its MD5"),
        ],
        outputs: [
            OutputSpec("objects", "Objects in the source"),
            OutputSpec("copied", "Objects copied"),
            OutputSpec("bytes", "Bytes copied"),
            OutputSpec("skipped", "Objects already identical at the destination"),
            OutputSpec("removed", "Objects or files removed from the destination"),
            OutputSpec("manifest", "Path of the manifest written, or empty"),
        ]
    )

    struct Request {
        var from: MirrorLocation
        var to: MirrorLocation
        var options: MirrorOptions
    }

    func request(_ call: ResolvedCall) throws -> Request {
        let from = try MirrorLocation.parse(try call.string("from"), input: "from")
        let to = try MirrorLocation.parse(try call.string("to"), input: "to")
        guard from.isBucket != to.isBucket else {
            throw ActionInputError.invalid("to", from.isBucket
                ? "mirroring between two buckets is not supported; one side must be a local directory"
                : "one side must be s3://bucket[/prefix]; both are local directories")
        }
        let options = MirrorOptions(remove: try S3ActionSupport.bool(call, "remove", default: false),
                                    parallel: try S3ActionSupport.parallel(call),
                                    manifestPath: call.optionalString("manifest").flatMap { $0.isEmpty ? nil : $0 })
        return Request(from: from, to: to, options: options)
    }

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try request(call)
        let endpoint = try S3ActionSupport.endpointText(call)
        let how = r.from.isBucket ? "ListObjectsV2, GetObject streamed to <file>.partial, fsync, rename"
                                  : "ListObjectsV2, PutObject streamed; multipart >= 64 MiB in 16 MiB parts"
        var text = "mirror \(r.from) -> \(r.to) at \(endpoint) (\(how); copy changed by size+ETag/sha256, "
            + "parallel \(r.options.parallel), remove extra: \(r.options.remove ? "yes" : "no"))"
        if let manifest = r.options.manifestPath { text += "; write manifest \(manifest)" }
        return [.builtin(text)]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try request(call)
        return try await S3ActionSupport.attempt {
            let summary = try await S3ActionSupport.withClient(call, context, maxConnections: r.options.parallel * 2) { client in
                try await S3Mirror(client: client, options: r.options, log: context.log, audit: context.audit)
                    .run(from: r.from, to: r.to)
            }
            var message = "mirrored \(r.from) -> \(r.to): \(summary.copied) copied (\(S3ActionSupport.bytes(summary.bytesCopied))), "
                + "\(summary.skipped) unchanged, \(summary.removed) removed"
            if let manifest = summary.manifestPath { message += "; manifest \(manifest)" }
            var result = ActionResult.ok(message, outputs: S3ActionSupport.mirrorOutputs(summary))
            result.outputBytes = Int(summary.bytesCopied)
            return result
        }
    }
}
