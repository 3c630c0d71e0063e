import Foundation
import RunbookCore
import RunbookEngine

/// What the media repository actions share: the repository target, the identity secret, a
/// store's lifetime.
enum MediaActionSupport {
    static let targetInput = InputSpec("target", .target(.repository), required: true, "The repository, a profile target of kind repository")
    static let directoryInput = InputSpec("directory", .path, required: true, "The local media mirror (what s3.mirror wrote, e.g. BACKUP_DIR/media/current)")
    static let manifestInput = InputSpec("manifest", .path, required: true, "The local mirror's manifest (key, size, etag, sha256 per object)")

    static func target(_ call: ResolvedCall) throws -> RepositoryTarget {
        try call.target("target", as: RepositoryTarget.self)
    }

    static func identities(_ call: ResolvedCall, _ context: RunContext) throws -> [AgeIdentity] {
        try RepositoryCallSupport.identities(call, context)
    }

    static func secretName(_ call: ResolvedCall) -> String {
        if case .secret(let name)? = call.inputs["identity"] { return name }
        return "?"
    }

    /// A store on the target, with credentials from the run's secrets, shut down after `body`.
    static func withStore<T>(_ call: ResolvedCall, _ context: RunContext, _ body: (RepositoryStore) async throws -> T) async throws -> T {
        try await RepositoryStore.using(try RepositoryConfig(target: target(call), secrets: context.secrets), body)
    }
}
