import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.repository-retention`: keeps the `keep` newest complete base backups in the
/// repository's `base` namespace and deletes the older ones, whole (every `base/ID/FILE` entry).
/// The floor is one: `keep` below 1 is refused, so the newest complete backup is never deleted
/// and a repository holding a single complete backup loses nothing. Entries of a push that never
/// completed (no record, or not every file listed with it) are removed as leftovers, with
/// objects no manifest lists and abandoned multipart uploads. Entries are unlisted before their
/// objects are deleted (`RepositoryStore.remove`); each deleted entry is in the step's outputs
/// and in the audit trail with its reason. The WAL a deleted backup needed is then pruned by
/// `pitr.prune-wal` with `repository:`, which follows the oldest backup that remains.
struct BaseBackupRetention: ExecutableAction {
    static let floor = 1

    let spec = ActionSpec(
        "pitr.repository-retention",
        summary: "Keep the newest complete base backups in the offsite repository, delete older ones and leftovers of interrupted pushes; every deletion is recorded.",
        inputs: [
            InputSpec("repository", .target(.repository), required: true, "The offsite repository target."),
            InputSpec("keep", .int, default: .int(3), minimum: BaseBackupRetention.floor, "How many newest complete base backups to keep (at least \(BaseBackupRetention.floor): the newest is never deleted)."),
            InputSpec("dry_run", .bool, default: .bool(false), "Only report what would be deleted."),
        ],
        outputs: [
            OutputSpec("deleted", "How many base backups were deleted (complete ones and leftovers)."),
            OutputSpec("kept", "How many complete base backups were kept."),
            OutputSpec("deleted_backups", "The ids of the deleted base backups."),
            OutputSpec("deleted_names", "Every deleted entry's name (`base/ID/FILE`); the audit trail has each one's key and reason."),
        ],
        destructive: true
    )

    func keep(_ call: ResolvedCall) throws -> Int {
        let keep = try call.int("keep")
        guard keep >= Self.floor else {
            throw ActionInputError.invalid("keep", "\(keep) is below the floor of \(Self.floor): the newest complete base backup is never deleted")
        }
        return keep
    }

    /// The repository is not read while planning (no credentials are resolved for a plan).
    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let keep = try keep(call)
        let location = try BaseBackupOffsite.location(call)
        return [
            .builtin("read the base backups' manifest (\(BaseBackupOffsite.namespace)) in \(location): keep the \(keep) newest complete base backups (by stop position; the newest is never deleted); a backup is complete when every file its record lists is listed with that record"),
            try call.bool("dry_run") ? .builtin("dry run: report only")
                : .builtin("unlist every entry (base/ID/FILE) of the older complete backups and of pushes that never completed, then delete their objects; then delete objects under base/ that the manifest does not list and abort multipart uploads there (what an interrupted push left); each deletion with its reason goes to the audit trail and the step's outputs. WAL is not touched here (prune-offsite-wal)"),
        ]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let keep = try keep(call)
        let location = try BaseBackupOffsite.location(call)
        let config = try RepositoryConfig(target: try call.target("repository", as: RepositoryTarget.self), secrets: context.secrets)
        do {
            return try await RepositoryStore.using(config) { store in
                try await apply(keep: keep, dryRun: try call.bool("dry_run"), location: location, store, context)
            }
        } catch {
            return .failed("base backup retention in \(location): \(error)")
        }
    }

    struct Doomed {
        var id: String
        var reason: String
    }

    /// Which backups go: the complete ones after the `keep` newest, and every incomplete one.
    static func decide(_ catalog: BaseBackupCatalog, incomplete: [String], keep: Int) -> (keep: [BaseBackupRecord], doomed: [Doomed]) {
        let newestFirst = catalog.backups.sorted {
            ($0.stopLSNValue ?? LSN(0), $0.stopTime) > ($1.stopLSNValue ?? LSN(0), $1.stopTime)
        }
        let kept = Array(newestFirst.prefix(keep))
        let newestKept = kept.map(\.id).joined(separator: ", ")
        let old = newestFirst.dropFirst(keep).map {
            Doomed(id: $0.id, reason: "older than the \(keep) newest complete base backup(s) kept (\(newestKept)); stopped \($0.stopTime)")
        }
        let leftovers = incomplete.map {
            Doomed(id: $0, reason: "incomplete: a push that never finished (not every file is listed with the backup's record)")
        }
        return (kept, old + leftovers)
    }

    private func apply(keep: Int, dryRun: Bool, location: String, _ store: RepositoryStore, _ context: RunContext) async throws -> ActionResult {
        let entries = try await store.entries(namespace: BaseBackupOffsite.namespace)
        let (catalog, incomplete) = BaseBackupOffsite.catalog(entries)
        let decision = Self.decide(catalog, incomplete: incomplete, keep: keep)
        let names = { (id: String) in entries.keys.filter { $0.hasPrefix(BaseBackupOffsite.namespace + "/" + id + "/") }.sorted() }
        var deletedNames: [String] = []
        if !dryRun {
            let removed = try await store.remove(names: decision.doomed.flatMap { names($0.id) })
            for doomed in decision.doomed {
                for name in names(doomed.id) {
                    let entry = removed[name] ?? entries[name]
                    context.audit("pitr.repository-retention.delete", [
                        "name": .string(name), "backup": .string(doomed.id), "repository": .string(location),
                        "key": .string(entry?.key ?? ""), "ciphertext_sha256": .string(entry?.ciphertextSHA256 ?? ""),
                        "reason": .string(doomed.reason), "outcome": .string(removed[name] != nil ? "deleted" : "already gone"),
                    ])
                    context.log("base backup retention: deleted \(name): \(doomed.reason)\n")
                    deletedNames.append(name)
                }
            }
            let stray = try await store.removeLeftovers(namespace: BaseBackupOffsite.namespace)
            if stray.aborted + stray.deleted > 0 {
                context.audit("pitr.repository-retention.leftovers", [
                    "repository": .string(location), "aborted_uploads": .int(stray.aborted), "deleted_unlisted_objects": .int(stray.deleted),
                ])
            }
        }
        let verb = dryRun ? "would delete" : "deleted"
        let ids = decision.doomed.map(\.id)
        let what = ids.isEmpty ? "nothing" : "\(ids.count) base backup(s) (\(ids.joined(separator: ", ")))"
        return ActionResult(succeeded: true, outputs: [
            "deleted": .int(dryRun ? 0 : ids.count), "kept": .int(decision.keep.count),
            "deleted_backups": .list(dryRun ? [] : ids.map { .string($0) }),
            "deleted_names": .list(deletedNames.map { .string($0) }),
        ], message: "\(verb) \(what) in \(location); kept \(decision.keep.map(\.id).joined(separator: ", "))", exitStatus: 0)
    }
}
