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

    /// The age identities in the secret the `identity` input names. The value never leaves
    /// this process: errors name the secret and line, never the key.
    static func identities(_ call: ResolvedCall, _ context: RunContext) throws -> [AgeIdentity] {
        guard case .secret(let name)? = call.inputs["identity"] else {
            throw ActionInputError.invalid("identity", "must be a secret, written ${secrets.NAME}")
        }
        guard let text = context.secrets[name] else {
            throw ActionInputError.invalid("identity", "secret \"\(name)\" is not available")
        }
        return try AgeIdentityFile.parse(text, path: "secret \(name)")
    }

    static func secretName(_ call: ResolvedCall) -> String {
        if case .secret(let name)? = call.inputs["identity"] { return name }
        return "?"
    }

    /// A store on the target, with credentials from the run's secrets, shut down after `body`.
    static func withStore<T>(_ call: ResolvedCall, _ context: RunContext, _ body: (RepositoryStore) async throws -> T) async throws -> T {
        let store = try RepositoryStore(config: try RepositoryConfig(target: target(call), secrets: context.secrets))
        do {
            let result = try await body(store)
            await store.shutdown()
            return result
        } catch {
            await store.shutdown()
            throw error
        }
    }
}
