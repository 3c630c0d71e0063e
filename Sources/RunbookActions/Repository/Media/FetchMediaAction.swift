import Foundation
import RunbookCore
import RunbookEngine

/// `repository.fetch-media`: the newest media mirror in the repository back into a local
/// mirror directory and manifest, every object verified, for `media-restore` to upload.
public struct FetchMediaAction: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "repository.fetch-media",
        summary: "Fetch the newest media index and every object it names from the repository into a local mirror directory and manifest; the identity is checked first, each object is verified by sha256 before it appears",
        inputs: [
            MediaActionSupport.targetInput,
            InputSpec("identity", .secret, required: true, "The age identity file's text, as ${secrets.NAME}: decrypts the index and the objects"),
            MediaActionSupport.directoryInput,
            MediaActionSupport.manifestInput,
            InputSpec("parallel", .int, default: .int(8), "Objects downloaded at once (1-64)"),
        ],
        outputs: [
            OutputSpec("index", "Repository name of the index fetched"),
            OutputSpec("objects", "Objects the index names"),
            OutputSpec("fetched", "Objects downloaded and verified"),
            OutputSpec("bytes", "Plaintext bytes downloaded"),
            OutputSpec("unchanged", "Objects already in the directory with the same sha256"),
        ]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let target = try MediaActionSupport.target(call)
        return [.builtin("fetch media from repository \(target.location) at \(try S3Endpoint(target.endpoint).description): "
            + "check the identity (secret \(MediaActionSupport.secretName(call))) on the newest media index's header, decrypt the index, "
            + "download, decrypt and check the sha256 of every object into \(try call.string("directory")) (each through NAME.partial), "
            + "parallel \(try S3ActionSupport.parallel(call)); then write the manifest \(try call.string("manifest"))")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let parallel = try S3ActionSupport.parallel(call)
        let identities = try MediaActionSupport.identities(call, context)
        let directory = S3Mirror.absolute(try call.string("directory"))
        let manifest = try call.string("manifest")
        return try await S3ActionSupport.attempt {
            let summary = try await MediaActionSupport.withStore(call, context) { store in
                try await MediaFetch(store: store, identities: identities, directory: directory, manifestPath: manifest,
                                     parallel: parallel, log: context.log).run()
            }
            var result = ActionResult.ok("fetched media \(summary.index): \(summary.objects) objects, \(summary.fetched) downloaded and verified "
                + "(\(S3ActionSupport.bytes(summary.fetchedBytes))), \(summary.unchanged) already there; manifest \(manifest)", outputs: [
                    "index": .string(summary.index), "objects": .int(summary.objects), "fetched": .int(summary.fetched),
                    "bytes": .int(Int(summary.fetchedBytes)), "unchanged": .int(summary.unchanged),
                ])
            result.outputBytes = Int(summary.fetchedBytes)
            return result
        }
    }
}
