import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.unpack-base-backup`: unpack a cataloged tar base backup into an empty data
/// directory with mode 0700, owned by the server's user. (pg_restore cannot do this: it
/// reads only pg_dump archives.)
///
/// `via: local`: tar runs as the owner and reads the archive from its stdin, opened by
/// runbook, so the backup files may stay private to the user that took them.
/// `via: compose`: tar runs in a one-off container as root, keeping the owners recorded in
/// the tar (the server's), then the directory is given to the owner.
struct UnpackBaseBackup: PITRAction {
    let spec = ActionSpec("pitr.unpack-base-backup", summary: "Unpack a tar base backup into an empty 0700 data directory owned by the server user.", inputs: [
        PITRServer.targetInput,
        InputSpec("backup_dir", .path, required: true, "Directory of base backups with catalog.json."),
        InputSpec("backup", .string, required: true, "The backup id (`${steps.<choose step>.outputs.backup_id}`)."),
        InputSpec("server_user", .string, "OS user that must own the data directory (`${steps.<move step>.outputs.server_user}`); default the owner of its parent."),
    ], outputs: [OutputSpec("data_dir", "The data directory, ready for recovery settings.")])

    struct Commands {
        let owner: CommandLine
        let exists: CommandLine
        let listing: CommandLine
        let make: CommandLine
        let protect: CommandLine
        let unpack: [CommandLine]
        let chown: CommandLine?
        let sane: CommandLine
        let verify: CommandLine
    }

    /// A backup that could not be checked with pg_verifybackup when it was taken (streamed to
    /// the repository with no copy on disk) is checked here, on the unpacked directory, against
    /// the manifest pg_basebackup put inside its tar, WAL included, before any recovery setting
    /// is written. (pg_verifybackup skips postgresql.auto.conf and the signal files by design.)
    static func verifiedOnlyWhenUnpacked(_ record: BaseBackupRecord) -> Bool {
        record.verification.hasPrefix("not verified with pg_verifybackup")
    }

    func commands(_ server: PITRServer, owner: String, backupPath: String, record: BaseBackupRecord?) throws -> Commands {
        let data = try server.dataDir()
        let gzip = (record?.compression ?? "gzip") == "gzip"
        let files = record?.files ?? ["base.tar.gz", "pg_wal.tar.gz"]
        var unpack: [CommandLine] = []
        for (tar, into) in [("base", data), ("pg_wal", data + "/pg_wal")] {
            guard let file = files.first(where: { $0.hasPrefix(tar + ".tar") }) else { continue }
            if server.isCompose {
                unpack.append(server.onHost(["tar", gzip ? "-xzf" : "-xf", backupPath + "/" + file, "--same-owner", "-C", into], serverStopped: true))
            } else {
                unpack.append(server.onHost(["tar", gzip ? "-xzf" : "-xf", "-", "-C", into], as: owner, stdinFile: backupPath + "/" + file))
            }
        }
        let user = server.isCompose ? nil : owner
        return Commands(
            owner: server.ownerQuery(DataDirectory.parent(of: data), serverStopped: true),
            exists: server.onHost(["test", "-e", data], serverStopped: true),
            listing: server.onHost(["ls", "-A", "--", data], serverStopped: true),
            make: server.onHost(["mkdir", "-m", "0700", "--", data], as: owner, serverStopped: true),
            protect: server.onHost(["chmod", "0700", "--", data], as: user, serverStopped: true),
            unpack: unpack,
            chown: server.isCompose ? server.onHost(["chown", "-R", owner, "--", data], serverStopped: true) : nil,
            sane: server.onHost(["test", "-f", data + "/backup_label", "-a", "-f", data + "/PG_VERSION", "-a", "-d", data + "/pg_wal"], serverStopped: true),
            verify: server.onHost([server.tool("pg_verifybackup"), data], as: user, serverStopped: true))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let store = CatalogStore(server: server, directory: try call.string("backup_dir"), serverStopped: true)
        let path = store.directory + "/" + (try call.string("backup"))
        let owner = try call.optionalString("server_user") ?? PITRServer.ownerPlaceholder(DataDirectory.parent(of: try server.dataDir()))
        let c = try commands(server, owner: owner, backupPath: path, record: nil)
        var ops: [PlannedOperation] = [.command(store.exists), .command(store.read)]
        if !call.has("server_user") { ops.append(.command(c.owner)) }
        ops += [.command(c.exists), .builtin("absent: create it; present: it must be empty"), .command(c.listing), .command(c.make), .command(c.protect)]
        ops += c.unpack.map { .command($0) }
        if let chown = c.chown { ops.append(.command(chown)) }
        ops += [.command(c.sane), .builtin("if the backup was streamed to the repository (not verified when taken): pg_verifybackup on the unpacked directory, against the manifest inside its tar, WAL included"),
                .command(c.verify)]
        return ops
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let data = try server.dataDir()
        let store = CatalogStore(server: server, directory: try call.string("backup_dir"), serverStopped: true)
        let id = try call.string("backup")
        guard let record = try await store.load(run).record(id) else { throw PITRFailure("backup \"\(id)\" is not in the catalog \(store.path)") }
        let path = store.directory + "/" + id
        let owner = try await run.owner(server, of: DataDirectory.parent(of: data), given: call.optionalString("server_user"), serverStopped: true)
        let c = try commands(server, owner: owner, backupPath: path, record: record)
        if try await run.attempt(c.exists, timeout: 60).succeeded {
            let listing = try await run.must(c.listing, "listing \(data)").stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
            guard listing.isEmpty else {
                throw PITRFailure("\(data) is not empty; a base backup is only unpacked into an empty directory (move the old one aside first)")
            }
        } else {
            try await run.must(c.make, "creating \(data)")
        }
        try await run.must(c.protect, "setting \(data) to mode 0700")
        run.log("unpacking \(id) into \(data)")
        for command in c.unpack { try await run.must(command, "unpacking \(id)", timeout: run.context.timeout, show: true) }
        if let chown = c.chown { try await run.must(chown, "giving \(data) to \(owner)") }
        try await run.must(c.sane, "\(data) lacks backup_label, PG_VERSION or pg_wal after unpacking: not a base backup")
        var verified = ""
        if Self.verifiedOnlyWhenUnpacked(record) {
            run.log("verifying \(data) with pg_verifybackup (the backup was streamed, so it could not be verified when taken)")
            try await run.must(c.verify, "pg_verifybackup refused the unpacked backup \(id)", timeout: run.context.timeout, show: true)
            verified = "; verified with pg_verifybackup after unpacking"
        }
        return .ok("backup \(id) unpacked into \(data)\(verified)", outputs: ["data_dir": .string(data)])
    }
}
