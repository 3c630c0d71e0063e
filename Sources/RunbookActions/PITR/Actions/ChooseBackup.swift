import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.choose-backup`: picks the base backup a recovery starts from: the newest one that
/// finished before the recovery target (or the one named by `backup`), and checks its files
/// are still there, where the unpack step will read them: for compose, from a one-off
/// container (the server's is stopped by then), so backups outside the service's volumes are
/// refused before anything is stopped. Changes nothing.
struct ChooseBackup: PITRAction {
    let spec = ActionSpec("pitr.choose-backup", summary: "Choose the newest cataloged base backup that ends before the recovery target.", inputs: [
        PITRServer.targetInput,
        InputSpec("backup_dir", .path, required: true, "Directory of base backups with catalog.json."),
        InputSpec("backup", .string, "Use this backup id instead of choosing (it must still end before a time or LSN target)."),
    ] + RecoveryTarget.inputs, outputs: [
        OutputSpec("backup_id", "The chosen backup."),
        OutputSpec("backup_path", "Its directory."),
        OutputSpec("start_wal_file", "The first WAL segment it needs."),
        OutputSpec("stop_lsn", "Where it becomes consistent."),
        OutputSpec("stop_time", "When it finished (server clock)."),
        OutputSpec("timeline", "Its timeline."),
    ])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        _ = try RecoveryTarget.from(call)
        let store = CatalogStore(server: try PITRServer(call, context), directory: try call.string("backup_dir"))
        return [.command(store.exists), .command(store.read), .builtin("choose the newest backup ending before the target"),
                .command(store.server.onHost(["test", "-f", "<backup_path>/<each file>"], serverStopped: true))]
    }

    static func choose(_ catalog: BaseBackupCatalog, for target: RecoveryTarget, pinned: String?) throws -> BaseBackupRecord {
        if let pinned {
            guard let record = catalog.record(pinned) else {
                throw PITRFailure("backup \"\(pinned)\" is not in the catalog (have: \(catalog.backups.map(\.id).joined(separator: ", ")))")
            }
            if let usable = catalog.newest(usableFor: target), usable.id == pinned { return record }
            if case .time(let t) = target, let stop = record.stopInstant, !(stop < t) {
                throw PITRFailure("backup \"\(pinned)\" finished at \(stop.iso8601), not before the target \(t.iso8601)")
            }
            if case .lsn(let l) = target, let stop = record.stopLSNValue, stop > l {
                throw PITRFailure("backup \"\(pinned)\" is consistent only from \(stop), after the target \(l)")
            }
            return record
        }
        guard !catalog.backups.isEmpty else { throw PITRFailure("the catalog has no base backups") }
        guard let record = catalog.newest(usableFor: target) else {
            let oldest = catalog.backups.compactMap(\.stopInstant).min()
            throw PITRFailure("no base backup ends before \(target); the oldest ends at \(oldest?.iso8601 ?? "?"): the target cannot be reached from these backups")
        }
        return record
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let target = try RecoveryTarget.from(call)
        let server = try PITRServer(call, run.context.plan)
        let store = CatalogStore(server: server, directory: try call.string("backup_dir"))
        let catalog = try await store.load(run)
        let pinned = call.optionalString("backup").flatMap { $0.isEmpty ? nil : $0 }
        let record = try Self.choose(catalog, for: target, pinned: pinned)
        let path = store.directory + "/" + record.id
        for file in record.files {
            var missing = "backup \(record.id) is cataloged but \(path)/\(file) is missing"
            if let (_, service) = server.compose { missing += " from a one-off container of \(service) (is \(store.directory) on a volume?)" }
            try await run.must(server.onHost(["test", "-f", path + "/" + file], serverStopped: true), missing, timeout: 120)
        }
        return .ok("base backup \(record.id) (ended \(record.stopTime), consistent from \(record.stopLSN))", outputs: [
            "backup_id": .string(record.id), "backup_path": .string(path), "start_wal_file": .string(record.startWALFile),
            "stop_lsn": .string(record.stopLSN), "stop_time": .string(record.stopTime), "timeline": .int(Int(record.timeline)),
        ])
    }
}
