import Foundation
import RunbookCore
import RunbookEngine

/// Where `postgres.dump` and `postgres.dump-globals` push their artifact: the `repository`
/// target and whether a local file is kept. Every artifact goes to the `dumps` namespace under
/// its file name, with its manifest record as the entry's metadata (docs/repository.md).
struct OffsiteDestination: Sendable {
    static let namespace = "dumps"

    static let repositoryInput = InputSpec("repository", .target(.repository),
                                           "An offsite repository target to push the artifact to (encrypted, streamed); none: local only.")
    static let keepLocalInput = InputSpec("keep_local", .bool, default: .bool(true),
                                          "With a repository: also keep the local file. false streams pg_dump straight to the repository, with no copy on disk.")

    var targetName: String
    var target: RepositoryTarget
    var keepLocal: Bool

    /// The destination a call asks for, or nil without `repository`. `keep_local: false`
    /// needs a repository, and a directory archive (many files) cannot be streamed as one object.
    static func from(_ call: ResolvedCall, format: DumpFormat) throws -> OffsiteDestination? {
        let keepLocal = try call.has("keep_local") ? call.bool("keep_local") : true
        guard call.has("repository") else {
            if !keepLocal { throw ActionInputError.invalid("keep_local", "false needs a repository: without one the dump would be kept nowhere") }
            return nil
        }
        if format == .directory {
            throw ActionInputError.invalid("repository", "the directory format is many files and cannot be pushed as one object; use format custom (which pg_restore restores in parallel too)")
        }
        let decl = try call.target("repository")
        return OffsiteDestination(targetName: decl.name, target: try call.target("repository", as: RepositoryTarget.self),
                                  keepLocal: keepLocal)
    }

    /// The repository entry of an artifact file.
    func entryName(_ fileName: String) -> String { Self.namespace + "/" + fileName }

    /// A store with the target's credentials resolved from the run's secrets. What its clean-up
    /// of interrupted pushes removes goes to the audit trail and the step's log.
    func store(_ context: RunContext) throws -> RepositoryStore {
        let repository = targetName
        return try RepositoryStore(config: RepositoryConfig(target: target, secrets: context.secrets)) { removed in
            context.audit("repository.leftovers.removed", [
                "repository": .string(repository), "namespace": .string(removed.namespace),
                "aborted_uploads": .list(removed.abortedUploads.map(Value.string)),
                "deleted_objects": .list(removed.deletedObjects.map(Value.string)),
            ])
            context.log("repository \(repository): removed what interrupted pushes left in \(removed.namespace): \(removed.abortedUploads.count) incomplete upload(s) aborted, \(removed.deletedObjects.count) unlisted object(s) deleted")
        }
    }

    /// For plans: where it goes, never the credentials.
    var described: String { "repository \"\(targetName)\" (\(target.location) at \(target.endpoint))" }

    /// The entry's metadata: the record as a restoring host's manifest should hold it.
    static func metadata(_ record: DumpRecord) throws -> [String: String] {
        ["record": String(decoding: try DumpManifest.encoder().encode(record.portable), as: UTF8.self)]
    }
}
