import Foundation
import RunbookCore
import RunbookEngine

/// What every repository action does with its call: read the `identity` input's secret, and
/// open a store that is shut down afterwards.
enum RepositoryCallSupport {
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
}

extension RepositoryStore {
    /// A store for `config`, shut down after `body` whether it throws or not.
    static func using<T>(_ config: RepositoryConfig, _ body: (RepositoryStore) async throws -> T) async throws -> T {
        let store = try RepositoryStore(config: config)
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
