import Foundation
import RunbookCore
import RunbookEngine

/// Check `repository.identity-opens`: the identity opens every object a restore is about to
/// take (the newest verified dump of each database and the newest globals dump, or exactly
/// `names`). Reads only each object's age header (one ranged GET), so a wrong or damaged key
/// is found before anything is downloaded and before any database is touched.
struct IdentityOpensCheck: ExecutableAction {
    let spec = ActionSpec(
        "repository.identity-opens",
        role: .check,
        summary: "Passes when the identity opens (decrypts the header of) every object a restore will take from the repository: the newest verified dump of each database and the newest globals dump, or the objects named.",
        inputs: RepositoryRestoreInputs.selectionInputs,
        outputs: [
            OutputSpec("names", "The objects checked (`dumps/NAME`), databases first, then the globals dump: pass them to repository.fetch-dumps' names."),
            OutputSpec("summary", "For people: each object, what it holds and when its dump finished."),
        ]
    )

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let location = try RepositoryRestoreInputs.location(call)
        return [
            .builtin("read the manifest of namespace \(try call.string("namespace")) in \(location) (plaintext JSON; the plan does not read the repository, the run does when it gets here)"),
            .builtin("choose \(Self.choice(call)), and name each with its dump's finish time"),
            .builtin("decrypt the age header of each (one ranged GET of its first 64 KiB) with \(RepositoryRestoreInputs.identityName(call)): unless it opens every one of them, the run stops here, before anything is fetched or any database is touched"),
        ]
    }

    /// What is chosen, as a plan says it.
    static func choice(_ call: ResolvedCall) -> String {
        if let names = try? call.strings("names"), !names.isEmpty, !names.contains(where: { $0.hasPrefix("<") }) {
            return "exactly \(names.joined(separator: ", "))"
        }
        let databases = (try? call.strings("databases")) ?? []
        let globals = (try? call.bool("globals")) ?? true
        let whose = databases.count == 1 ? databases[0] : "each of " + databases.joined(separator: ", ")
        return "the newest verified dump (by its record's finish time) of \(whose)"
            + (globals ? ", and the newest verified globals dump (the roles)" : "")
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await S3ActionSupport.attempt {
            let identities = try RepositoryRestoreInputs.identities(call, context)
            return try await RepositoryRestoreInputs.withStore(call, context) { store in
                let catalog = try await store.dumpCatalog(namespace: try call.string("namespace"))
                let items = try RepositoryRestoreInputs.selection(call, from: catalog)
                for item in items {
                    do {
                        try await store.checkIdentities(identities, against: item.name)
                    } catch let error as AgeError {
                        let recipients = identities.map(\.recipient.description).joined(separator: ", ")
                        return .failed("\(RepositoryRestoreInputs.identityName(call)) does not open \(item.name) in \(catalog.location): \(error) (the identity's public key is \(recipients); the profile's recipients are \(store.config.recipients.joined(separator: ", "))); nothing was fetched or restored")
                    }
                }
                let summary = items.map(\.summary).joined(separator: "; ")
                context.audit(spec.name, ["names": .list(items.map { .string($0.name) }), "repository": .string(catalog.location)])
                // The operator reads here which backups the restore will take, before the checklist asks.
                let message = "\(RepositoryRestoreInputs.identityName(call)) opens \(summary)"
                context.log(message + "\n")
                return .ok(message,
                           outputs: ["names": .list(items.map { .string($0.name) }), "summary": .string(summary)])
            }
        }
    }
}
