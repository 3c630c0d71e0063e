import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.retention`: deletes backups the policy no longer needs (see `RetentionPolicy`),
/// deciding from the manifest's recorded times. `plan` lists each deletion with its reason;
/// `run` records each one in the audit trail, removes its manifest entry first (so the
/// manifest never names a missing file) and then the file. Files the manifest does not
/// record are never touched.
struct Retention: ExecutableAction {
    let spec = ActionSpec(
        "postgres.retention",
        summary: "Delete backups older than keep_days, always keeping the keep_min newest verified backups of each database.",
        inputs: [
            PostgresInputs.backupDirectory(),
            InputSpec("keep_days", .int, required: true, minimum: 0, "Keep every backup that finished within this many days."),
            InputSpec("keep_min", .int, default: .int(3), minimum: 1, "Whatever their age, keep this many newest verified backups per database (at least 1)."),
            InputSpec("database", .identifier, "Only this database's backups; default: every database (and globals) in the manifest."),
        ],
        outputs: [
            OutputSpec("deleted", "How many backups were deleted."),
            OutputSpec("kept", "How many were kept."),
        ],
        destructive: true
    )

    struct Recipe {
        var store: ManifestStore
        var policy: RetentionPolicy
        var database: String?
    }

    func recipe(_ call: ResolvedCall) throws -> Recipe {
        Recipe(store: ManifestStore(directory: try call.string("dir")),
               policy: try RetentionPolicy(keepDays: try call.int("keep_days"), keepMinimum: try call.int("keep_min")),
               database: call.optionalString("database"))
    }

    func decisions(_ r: Recipe, _ manifest: DumpManifest, now: Date) -> [RetentionPolicy.Decision] {
        // Offsite-only records have no file here: the repository's retention decides for them.
        let records = manifest.artifacts.filter { (r.database == nil || $0.database == r.database) && $0.isLocal }
        return r.policy.decide(records, now: now) { DurableFiles.exists((r.store.directory as NSString).appendingPathComponent($0.path)) }
    }

    /// Reading the manifest is not mutating: the plan shows the decisions as of now.
    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try recipe(call)
        let all = decisions(r, try r.store.read(), now: Date())
        let deletions = all.filter { !$0.keep }
        var ops: [PlannedOperation] = [.builtin("read \(r.store.path): \(all.count) backups, \(deletions.count) to delete (keep_days=\(r.policy.keepDays), keep_min=\(r.policy.keepMinimum))")]
        ops += deletions.map { .builtin("delete \($0.record.path): \($0.reason)") }
        ops += all.filter(\.keep).map { .builtin("keep \($0.record.path): \($0.reason)") }
        return ops
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try recipe(call)
        var deletions: [RetentionPolicy.Decision] = []
        var kept = 0
        do {
            // Decide and drop the entries under the manifest lock, so a dump finishing meanwhile is seen.
            try r.store.update { manifest in
                let all = decisions(r, manifest, now: Date())
                deletions = all.filter { !$0.keep }
                kept = all.count - deletions.count
                let doomed = Set(deletions.map(\.record.path))
                manifest.artifacts.removeAll { doomed.contains($0.path) }
            }
        } catch {
            return .failed("\(error)")
        }
        var failures: [String] = []
        for d in deletions {
            let path = (r.store.directory as NSString).appendingPathComponent(d.record.path)
            let existed = DurableFiles.exists(path)
            var outcome = existed ? "deleted" : "entry removed; file was already missing"
            if existed && !DurableFiles.remove(path) {
                outcome = "could not delete the file"
                failures.append(path)
            }
            context.audit("postgres.retention.delete", [
                "path": .string(path), "database": .string(d.record.database), "kind": .string(d.record.kind.rawValue),
                "finished_at": .string(ManifestTime.format(d.record.finishedAt)), "sha256": .string(d.record.sha256),
                "size": .int(Int(d.record.size)), "reason": .string(d.reason), "outcome": .string(outcome),
            ])
            context.log("retention: \(outcome) \(d.record.path): \(d.reason)\n")
        }
        let outputs: [String: Value] = ["deleted": .int(deletions.count - failures.count), "kept": .int(kept)]
        if !failures.isEmpty {
            return ActionResult(succeeded: false, outputs: outputs,
                                message: "could not delete \(failures.joined(separator: ", ")) (their manifest entries are gone; remove them by hand)")
        }
        return ActionResult(succeeded: true, outputs: outputs, message: "deleted \(deletions.count), kept \(kept)", exitStatus: 0)
    }
}
