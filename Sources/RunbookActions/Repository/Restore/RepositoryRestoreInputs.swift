import Foundation
import RunbookCore
import RunbookEngine

/// What the restoring `repository.*` actions share: the repository target, the identity (a
/// secret resolved in-process, never shown), the store's lifetime, and failures as results.
enum RepositoryRestoreInputs {
    static let target = InputSpec("target", .target(.repository), required: true, "The repository, a profile target of kind repository.")
    static let identity = InputSpec("identity", .secret, required: true,
                                    "The age identity file's text, as `${secrets.NAME}`: resolved in-process, never on a command line, in a plan or a log.")
    static let namespace = InputSpec("namespace", .string, default: .string(DumpCatalog.defaultNamespace),
                                     "The repository namespace holding the dumps and globals dumps.")
    static let databases = InputSpec("databases", .list(.identifier), required: true, "The databases whose newest verified dump to take.")
    static let globals = InputSpec("globals", .bool, default: .bool(true), "Also take the newest verified globals dump (the roles).")
    static let names = InputSpec("names", .list(.string),
                                 "Exact objects (`dumps/NAME`), e.g. the identity check's `names` output, so what was checked is what is fetched; default: chosen by databases and globals.")

    static func repositoryTarget(_ call: ResolvedCall) throws -> RepositoryTarget {
        try call.target("target", as: RepositoryTarget.self)
    }

    /// `s3://bucket/prefix at endpoint`: where objects come from, for plans and messages.
    static func location(_ call: ResolvedCall) throws -> String {
        let target = try repositoryTarget(call)
        return "\(target.location) at \(target.endpoint)"
    }

    /// The identities in the secret the `identity` input names; errors name the secret, never its value.
    static func identities(_ call: ResolvedCall, _ context: RunContext) throws -> [AgeIdentity] {
        try RepositoryCallSupport.identities(call, context)
    }

    static func identityName(_ call: ResolvedCall) -> String {
        if case .secret(let name)? = call.inputs["identity"] { return "secret \(name)" }
        return "the identity"
    }

    /// A store for the call's repository target, with credentials from the run's secrets, shut down after `body`.
    static func withStore<T>(_ call: ResolvedCall, _ context: RunContext, _ body: (RepositoryStore) async throws -> T) async throws -> T {
        try await RepositoryStore.using(try RepositoryConfig(target: repositoryTarget(call), secrets: context.secrets), body)
    }

    /// The inputs that say which dumps a restore takes, and with which key.
    static let selectionInputs = [target, identity, databases, globals, namespace, names]

    /// What to take: explicit names, or the newest verified per database (and globals).
    static func selection(_ call: ResolvedCall, from catalog: DumpCatalog) throws -> [DumpCatalog.Item] {
        let names = try call.strings("names")
        if !names.isEmpty { return try catalog.items(named: names) }
        return try catalog.newest(databases: try call.strings("databases"), globals: try call.bool("globals"))
    }
}
