import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.prune-wal` with `repository:`: the same rule (`WALRetention`: keep every segment from
/// the start of the oldest base backup on, every history file, anything unrecognised) applied
/// to the repository's `wal/` keys, with the repository's complete base backups as the
/// catalog. Refuses when the repository holds no complete base backup. Every deleted key is in
/// the step's outputs (`deleted`) and in the audit trail with its reason.
extension PruneWAL {
    func repositoryPlanned(_ call: ResolvedCall) throws -> [PlannedOperation] {
        let location = try BaseBackupOffsite.location(call)
        return [.builtin("read the base backups' manifest (\(BaseBackupOffsite.namespace)) in \(location): the oldest complete base backup's start segment is the floor; with none, nothing is pruned"),
                .builtin("list the WAL archive's keys (wal/NAME.SHA256.age) in \(location)"),
                try call.bool("dry_run") ? .builtin("dry run: report only")
                    : .builtin("delete the keys of segments before that floor (history files are kept), each recorded in the audit trail with its reason and in the step's outputs")]
    }

    func performOnRepository(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let location = try BaseBackupOffsite.location(call)
        let config = try BaseBackupOffsite.config(call, run.context)
        let (catalog, incomplete) = try await RepositoryStore.using(config) { store in
            BaseBackupOffsite.catalog(try await store.entries(namespace: BaseBackupOffsite.namespace))
        }
        guard let oldest = catalog.oldest, let start = oldest.startSegment else {
            throw PITRFailure("\(location) holds no complete base backup: every archived segment may still be needed; nothing pruned")
        }
        let wal = try WALArchive(config: config)
        defer { Task { await wal.shutdown() } }
        let stored: [WALArchive.Stored]
        do { stored = try await wal.list() } catch { throw PITRFailure("listing the WAL archive in \(location): \(error)") }
        let decision = WALRetention.decide(names: stored.map(\.name), oldestStart: start, backupID: oldest.id)
        let doomed = Set(decision.prune.map(\.name))
        let keys = stored.filter { doomed.contains($0.name) }
        let dryRun = try call.bool("dry_run")
        if !dryRun {
            do { try await wal.remove(keys) } catch { throw PITRFailure("deleting archived WAL in \(location): \(error)") }
            let reasons = Dictionary(decision.prune.map { ($0.name, $0.reason) }, uniquingKeysWith: { a, _ in a })
            for object in keys {
                run.context.audit("pitr.prune-wal.delete", ["key": .string(object.key), "repository": .string(location),
                                                            "reason": .string(reasons[object.name] ?? "")])
            }
        }
        let verb = dryRun ? "would prune" : "pruned"
        let skipped = incomplete.isEmpty ? "" : "; incomplete base backups ignored: \(incomplete.joined(separator: ", "))"
        return .ok("\(verb) \(keys.count) key(s) in \(location) before \(start.fileName) (start of \(oldest.id)); kept \(decision.keep.count)\(skipped)", outputs: [
            "pruned": .int(keys.count), "kept": .int(decision.keep.count), "oldest_needed": .string(start.fileName),
            "deleted": .list(dryRun ? [] : keys.map { .string($0.key) }),
        ])
    }
}
