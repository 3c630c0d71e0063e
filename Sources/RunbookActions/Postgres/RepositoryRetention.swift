import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.repository-retention`: the retention rule of `postgres.retention` (keep_days, with a
/// floor of keep_min verified backups per database) applied to the repository's `dumps`
/// namespace, deciding from each entry's `record` metadata. Each deletion is in the outputs and
/// the audit trail; entries are unlisted before their objects are deleted (`RepositoryStore.remove`).
struct RepositoryRetention: ExecutableAction {
    let spec = ActionSpec(
        "postgres.repository-retention",
        summary: "Delete dumps in the offsite repository older than keep_days, always keeping the keep_min newest verified of each database; every deletion is recorded.",
        inputs: [
            InputSpec("repository", .target(.repository), required: true, "The offsite repository target."),
            InputSpec("keep_days", .int, required: true, minimum: 0, "Keep every backup that finished within this many days."),
            InputSpec("keep_min", .int, default: .int(3), minimum: 1, "Whatever their age, keep this many newest verified backups per database (at least 1)."),
            InputSpec("database", .identifier, "Only this database's backups; default: every database (and globals) in the repository."),
            PostgresInputs.backupDirectory(required: false),
        ],
        outputs: [
            OutputSpec("deleted", "How many entries were deleted."),
            OutputSpec("kept", "How many were kept."),
            OutputSpec("deleted_names", "The deleted entries' names (`dumps/NAME`), with no other detail: the audit trail has each one's reason."),
        ],
        destructive: true
    )

    struct Recipe {
        var targetName: String
        var target: RepositoryTarget
        var policy: RetentionPolicy
        var database: String?
        /// The backup directory whose manifest also records offsite-only copies, if given.
        var directory: String?
    }

    func recipe(_ call: ResolvedCall) throws -> Recipe {
        Recipe(targetName: try call.target("repository").name, target: try call.target("repository", as: RepositoryTarget.self),
               policy: try RetentionPolicy(keepDays: try call.int("keep_days"), keepMinimum: try call.int("keep_min")),
               database: call.optionalString("database"), directory: call.optionalString("dir"))
    }

    /// The repository is not read while planning (no credentials are resolved for a plan).
    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try recipe(call)
        var ops: [PlannedOperation] = [
            .builtin("read the dumps manifest of repository \"\(r.targetName)\" (\(r.target.location) at \(r.target.endpoint)); decide from each entry's record: keep every dump finished within keep_days=\(r.policy.keepDays) and the \(r.policy.keepMinimum) newest verified of each database\(r.database.map { " (only \($0))" } ?? "") whatever their age; an entry without a record (a push cut short) counts as unverified"),
            .builtin("unlist the others from the manifest, then delete their objects; each deletion with its reason goes to the audit trail and the step's outputs"),
        ]
        if let directory = r.directory {
            ops.append(.builtin("remove the offsite-only records of the deleted dumps from \((directory as NSString).appendingPathComponent(DumpManifest.fileName))"))
        }
        return ops
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try recipe(call)
        let repository = try RepositoryStore(config: RepositoryConfig(target: r.target, secrets: context.secrets))
        do {
            let result = try await apply(r, repository, context)
            await repository.shutdown()
            return result
        } catch {
            await repository.shutdown()
            return .failed("repository retention in \(r.target.location): \(error)")
        }
    }

    private func apply(_ r: Recipe, _ repository: RepositoryStore, _ context: RunContext) async throws -> ActionResult {
        let entries = try await repository.entries(namespace: OffsiteDestination.namespace)
        let records = entries.map { Self.record(name: $0.key, entry: $0.value) }
            .filter { r.database == nil || $0.record.database == r.database }
        let byPath = Dictionary(records.map { ($0.record.path, $0.name) }, uniquingKeysWith: { a, _ in a })
        let decisions = r.policy.decide(records.map(\.record), now: Date()) { _ in true }
        let doomed = decisions.filter { !$0.keep }
        let names = doomed.compactMap { byPath[$0.record.path] }
        let removed = names.isEmpty ? [:] : try await repository.remove(names: names)
        for d in doomed {
            guard let name = byPath[d.record.path] else { continue }
            let entry = removed[name] ?? entries[name]
            context.audit("repository.retention.delete", [
                "name": .string(name), "database": .string(d.record.database), "kind": .string(d.record.kind.rawValue),
                "finished_at": .string(ManifestTime.format(d.record.finishedAt)), "key": .string(entry?.key ?? ""),
                "ciphertext_sha256": .string(entry?.ciphertextSHA256 ?? ""), "reason": .string(d.reason),
                "outcome": .string(removed[name] != nil ? "deleted" : "already gone"),
            ])
            context.log("repository retention: deleted \(name): \(d.reason)\n")
        }
        if let directory = r.directory, !names.isEmpty {
            let gone = Set(doomed.map(\.record.path))
            try ManifestStore(directory: directory).update { manifest in
                manifest.artifacts.removeAll { !$0.isLocal && gone.contains($0.path) }
            }
        }
        let kept = decisions.count - doomed.count
        return ActionResult(succeeded: true,
                            outputs: ["deleted": .int(names.count), "kept": .int(kept), "deleted_names": .list(names.sorted().map { .string($0) })],
                            message: "deleted \(names.count), kept \(kept) in \(r.targetName)", exitStatus: 0)
    }

    /// An entry's record from its metadata; an entry without one (pushed, but its record never
    /// written) stands as an unverified backup finished when it was pushed, all of them in one
    /// group, so they go once older than keep_days (but the newest, as for any group).
    static func record(name: String, entry: RepositoryStore.Pushed) -> (name: String, record: DumpRecord) {
        if let text = entry.metadata?["record"],
           let record = try? DumpManifest.decoder().decode(DumpRecord.self, from: Data(text.utf8)) {
            return (name, record)
        }
        let pushed = ISO8601DateFormatter().date(from: entry.pushedAt) ?? Date(timeIntervalSince1970: 0)
        let file = String(name.dropFirst(OffsiteDestination.namespace.count + 1))
        return (name, DumpRecord(database: "(no record)", kind: .database, format: .custom, path: file,
                                 size: entry.plaintextSize, sha256: entry.plaintextSHA256, serverVersion: nil,
                                 startedAt: pushed, finishedAt: pushed, rowCounts: nil, verified: false, runID: nil))
    }
}
