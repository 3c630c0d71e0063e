import Foundation
import RunbookCore
import RunbookEngine

/// `s3.verify-manifest`: does a bucket (or a local directory) hold exactly what a manifest
/// lists? Counts, sizes and, unless `sizes_only`, each object's SHA-256: a bucket's objects
/// are streamed through SHA-256, never stored.
public struct VerifyManifestCheck: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "s3.verify-manifest",
        role: .check,
        summary: "Compare a bucket or local directory with a mirror manifest: keys, sizes and sha256",
        inputs: [
            InputSpec("manifest", .path, required: true, "The manifest written by s3.mirror"),
            InputSpec("location", .string, required: true, "What to check: s3://bucket[/prefix] or a local directory"),
            InputSpec("target", .target(.s3), "The S3 endpoint; required when location is s3://"),
            InputSpec("sizes_only", .bool, default: .bool(false), "Compare keys and sizes only, without reading the content"),
            InputSpec("allow_extra", .bool, default: .bool(false),
                      "Entries the manifest does not list are counted, not problems: a mirror with remove: false keeps what the source deleted"),
            S3ActionSupport.parallelInput,
        ],
        outputs: [
            OutputSpec("objects", "Objects found at the location"),
            OutputSpec("bytes", "Their total size"),
            OutputSpec("problems", "Missing, extra, resized or changed objects"),
        ]
    )

    struct Request {
        var manifest: String
        var location: MirrorLocation
        var sizesOnly: Bool
        var allowExtra: Bool
        var parallel: Int
    }

    func request(_ call: ResolvedCall) throws -> Request {
        let location = try MirrorLocation.parse(try call.string("location"), input: "location")
        if location.isBucket, call.targets["target"] == nil {
            throw ActionInputError.invalid("target", "is required when location is an s3:// URL")
        }
        return Request(manifest: try call.string("manifest"), location: location,
                       sizesOnly: try S3ActionSupport.bool(call, "sizes_only", default: false),
                       allowExtra: try S3ActionSupport.bool(call, "allow_extra", default: false),
                       parallel: try S3ActionSupport.parallel(call))
    }

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try request(call)
        var text = "verify \(r.location)"
        if r.location.isBucket { text += " at \(try S3ActionSupport.endpointText(call))" }
        text += " against manifest \(r.manifest): keys\(r.allowExtra ? " (entries it does not list allowed)" : ""), sizes"
        if !r.sizesOnly {
            text += r.location.isBucket ? " and sha256 (every object streamed through SHA-256, parallel \(r.parallel))"
                                        : " and sha256 (every file read)"
        }
        return [.builtin(text)]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try request(call)
        return try await S3ActionSupport.attempt {
            let manifest = try Manifest.load(path: r.manifest)
            switch r.location {
            case .bucket(let bucket, let prefix):
                return try await S3ActionSupport.withClient(call, context, maxConnections: r.parallel) { client in
                    let objects = try await client.listObjects(bucket: bucket, prefix: prefix)
                        .filter { !$0.key.hasSuffix("/") }
                    let found = Dictionary(objects.map { (String($0.key.dropFirst(prefix.count)), $0.size) },
                                           uniquingKeysWith: { a, _ in a })
                    return try await verify(manifest, found: found, r) { entry in
                        try await client.sha256OfObject(bucket: bucket, key: prefix + entry.key)
                    }
                }
            case .directory(let path):
                let root = S3Mirror.absolute(path)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
                    return .failed("local directory \(root) does not exist")
                }
                let manifestPath = S3Mirror.absolute(r.manifest)
                let tree = try LocalTree.scan(root: root, exclude: [manifestPath])
                let found = Dictionary(tree.files.map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
                return try await verify(manifest, found: found, r) { entry in
                    try await S3Client.digest(root + "/" + entry.key, size: entry.size).sha256
                }
            }
        }
    }

    private func verify(_ manifest: Manifest, found: [String: Int64], _ r: Request,
                        sha256: @escaping @Sendable (ManifestEntry) async throws -> String) async throws -> ActionResult {
        var comparison = ManifestComparison(manifest: manifest, found: found)
        let kept = r.allowExtra ? comparison.extra.count : 0
        if r.allowExtra { comparison.extra = [] }
        if !r.sizesOnly {
            try await forEachConcurrently(comparison.toHash, limit: r.parallel) { entry in
                (entry.key, try await sha256(entry) == entry.sha256)
            } onResult: { key, matches in
                if !matches { comparison.checksumMismatches.append(key) }
            }
        }
        let bytes = found.values.reduce(Int64(0), +)
        let outputs: [String: Value] = [
            "objects": .int(found.count), "bytes": .int(Int(bytes)), "problems": .int(comparison.problemCount),
        ]
        guard comparison.problemCount == 0 else {
            var result = ActionResult.failed("\(r.location) does not match manifest \(r.manifest): \(comparison.summary)")
            result.outputs = outputs
            return result
        }
        let what = r.sizesOnly ? "keys and sizes" : "keys, sizes and sha256"
        return .ok("\(r.location) matches manifest \(r.manifest): \(found.count) objects, \(S3ActionSupport.bytes(bytes)); \(what) verified"
                   + (kept > 0 ? "; \(kept) not in the manifest, kept (allow_extra)" : ""),
                   outputs: outputs)
    }
}
