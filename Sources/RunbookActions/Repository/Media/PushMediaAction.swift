import Foundation
import RunbookCore
import RunbookEngine

/// `repository.push-media`: the local media mirror into the repository, names hidden.
public struct PushMediaAction: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "repository.push-media",
        summary: "Push a local media mirror into the repository, encrypted, names hidden: only contents not already there (by plaintext sha256) are uploaded, under random ids; then an encrypted index of names; then what no index references is removed",
        inputs: [
            MediaActionSupport.targetInput,
            MediaActionSupport.directoryInput,
            MediaActionSupport.manifestInput,
            InputSpec("parallel", .int, default: .int(8), "Objects uploaded at once (1-64)"),
        ],
        outputs: [
            OutputSpec("objects", "Objects in the mirror (and in the new index)"),
            OutputSpec("uploaded", "Contents uploaded (new or changed)"),
            OutputSpec("bytes", "Plaintext bytes uploaded"),
            OutputSpec("reused", "Objects whose content the repository already held"),
            OutputSpec("index", "Repository name of the new index, media/index-TIME.json"),
            OutputSpec("removed", "Repository names removed after the new index was listed (older indexes, contents no longer referenced)"),
        ]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let target = try MediaActionSupport.target(call)
        let parallel = try S3ActionSupport.parallel(call)
        return [.builtin("push media \(try call.string("directory")) (manifest \(try call.string("manifest"))) -> repository \(target.location) at "
            + "\(try S3Endpoint(target.endpoint).description): contents the repository lacks (by plaintext sha256) encrypted to \(target.recipients.count) "
            + "recipient(s) as media/<random id>, parallel \(parallel); then the encrypted index of names media/index-<time>.json; "
            + "then remove older indexes and contents no index references (recorded)")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let parallel = try S3ActionSupport.parallel(call)
        let directory = S3Mirror.absolute(try call.string("directory"))
        let manifest = try call.string("manifest")
        return try await S3ActionSupport.attempt {
            let summary = try await MediaActionSupport.withStore(call, context) { store in
                try await MediaPush(store: store, directory: directory, manifestPath: manifest, parallel: parallel,
                                    log: context.log, audit: context.audit).run()
            }
            var result = ActionResult.ok("pushed media: \(summary.objects) objects, \(summary.uploaded) uploaded (\(S3ActionSupport.bytes(summary.uploadedBytes))), "
                + "\(summary.reused) already there; index \(summary.index); \(summary.removed.count) removed", outputs: [
                    "objects": .int(summary.objects), "uploaded": .int(summary.uploaded), "bytes": .int(Int(summary.uploadedBytes)),
                    "reused": .int(summary.reused), "index": .string(summary.index), "removed": .list(summary.removed.map { .string($0) }),
                ])
            result.outputBytes = Int(summary.uploadedBytes)
            return result
        }
    }
}
