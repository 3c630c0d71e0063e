import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.prune-wal`: delete archived WAL that no cataloged base backup needs: segments
/// before the start of the oldest backup in the catalog (see `WALRetention`). It refuses to
/// prune when the catalog is empty or lists a backup whose files are gone (then nothing
/// proves which WAL is still needed), and records every deletion with its reason in the audit.
/// With `repository:` it prunes the repository's WAL archive instead (PruneWAL+Repository.swift).
struct PruneWAL: PITRAction {
    let spec = ActionSpec("pitr.prune-wal", summary: "Delete archived WAL older than the oldest cataloged base backup; keep all it and newer backups need.", inputs: [
        PITRServer.targetInput,
        InputSpec("archive_dir", .path, "The WAL archive directory (or give repository)."),
        InputSpec("backup_dir", .path, "Directory of base backups with catalog.json (every backup in it is retained); required with archive_dir."),
        InputSpec("repository", .target(.repository), "Prune the repository's WAL archive (`runbook wal-push`) instead, against the repository's base backups."),
        InputSpec("dry_run", .bool, default: .bool(false), "Only report what would be deleted."),
    ], outputs: [
        OutputSpec("pruned", "Number of files deleted (or that would be, in a dry run)."),
        OutputSpec("kept", "Number of files kept."),
        OutputSpec("oldest_needed", "The first segment still needed."),
        OutputSpec("deleted", "With repository: the keys deleted."),
    ], destructive: true)

    static let batch = 200

    func commands(_ server: PITRServer, archive: String, owner: String, names: [String]) -> (owner: CommandLine, list: CommandLine, remove: [CommandLine]) {
        let dir = ArchiveCommands.trimmed(archive)
        let remove = stride(from: 0, to: names.count, by: Self.batch).map { start in
            server.onHost(["rm", "-f", "--"] + names[start..<min(start + Self.batch, names.count)].map { dir + "/" + $0 }, as: owner)
        }
        return (server.ownerQuery(dir), server.onHost(["ls", "-1A", "--", dir]), remove)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        if call.has("repository") { return try repositoryPlanned(call) }
        let server = try PITRServer(call, context)
        let archive = try call.string("archive_dir")
        let store = CatalogStore(server: server, directory: try call.string("backup_dir"))
        let c = commands(server, archive: archive, owner: PITRServer.ownerPlaceholder(archive), names: ["<files before the oldest backup's start segment>"])
        var ops: [PlannedOperation] = [.command(store.exists), .command(store.read),
                                       .command(server.onHost(["test", "-d", store.directory + "/<each cataloged backup>"])),
                                       .command(c.owner), .command(c.list)]
        if try call.bool("dry_run") { ops.append(.builtin("dry run: report only")) } else { ops += c.remove.map { .command($0) } }
        return ops
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        if call.has("repository") { return try await performOnRepository(call, run) }
        let server = try PITRServer(call, run.context.plan)
        let archive = ArchiveCommands.trimmed(try call.string("archive_dir"))
        let store = CatalogStore(server: server, directory: try call.string("backup_dir"))
        let catalog = try await store.load(run)
        guard let oldest = catalog.oldest, let start = oldest.startSegment else {
            throw PITRFailure("the catalog \(store.path) lists no base backup: every archived segment may still be needed; nothing pruned")
        }
        for record in catalog.backups {
            guard try await run.attempt(server.onHost(["test", "-d", store.directory + "/" + record.id]), timeout: 60).succeeded else {
                throw PITRFailure("the catalog lists backup \(record.id) but \(store.directory)/\(record.id) is gone; fix the catalog before pruning (nothing pruned)")
            }
        }
        let owner = try await run.owner(server, of: archive, given: nil)
        let names = try await run.rows(commands(server, archive: archive, owner: owner, names: []).list, "listing \(archive)")
        let decision = WALRetention.decide(names: names, oldestStart: start, backupID: oldest.id)
        let dryRun = try call.bool("dry_run")
        if !dryRun {
            for command in commands(server, archive: archive, owner: owner, names: decision.prune.map(\.name)).remove {
                try await run.must(command, "deleting archived WAL")
            }
            for (name, reason) in decision.prune {
                run.context.audit("pitr.prune-wal.delete", ["file": .string(archive + "/" + name), "reason": .string(reason)])
            }
        }
        let verb = dryRun ? "would prune" : "pruned"
        return .ok("\(verb) \(decision.prune.count) file(s) before \(start.fileName) (start of \(oldest.id)); kept \(decision.keep.count)", outputs: [
            "pruned": .int(decision.prune.count), "kept": .int(decision.keep.count), "oldest_needed": .string(start.fileName),
        ])
    }
}
