import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.fetch-base-backup`: the first step of a recovery from the offsite repository, on a
/// bare host. Reads the repository's base backups (the `base` namespace, each entry carrying
/// its catalog record), chooses the newest complete one that ended before the target (or
/// `backup`), checks that the identity opens every file of it and the WAL archive (the age
/// header only, before anything is downloaded), then downloads each file into
/// `backup_dir/ID/` (decrypted, its sha256 and size checked before it gets its name) and adds
/// the record to `backup_dir/catalog.json`. From there the local recovery steps run unchanged.
/// For compose, each file is downloaded and checked on this machine first, then copied into
/// `backup_dir` through a one-off container of the service, which checks its sha256 again
/// (`ContainerCopy`). It changes nothing on the server or its data directory, so a wrong
/// identity or a damaged object stops the recovery before anything is stopped or moved.
struct FetchBaseBackup: PITRAction {
    let spec = ActionSpec("pitr.fetch-base-backup", summary: "Choose a base backup in the repository, check the identity opens it and the WAL, and download it (sha256 checked) into the local backup directory and catalog.", inputs: [
        PITRServer.targetInput,
        InputSpec("repository", .target(.repository), required: true, "The offsite repository."),
        InputSpec("identity", .secret, required: true, "The age identity file's text, as `${secrets.NAME}`: resolved in-process, never on a command line, in a plan or a log."),
        InputSpec("backup_dir", .path, required: true, "Where the backup is put (`ID/`) and cataloged (catalog.json), on the server's machine; created if missing. For compose, on a volume of the service: the unpack step reads it from a one-off container."),
        InputSpec("backup", .string, "Fetch this backup id instead of choosing (it must still end before a time or LSN target)."),
    ] + RecoveryTarget.inputs, outputs: [
        OutputSpec("backup_id", "The backup fetched."),
        OutputSpec("backup_path", "Its local directory."),
        OutputSpec("names", "The repository entries fetched."),
    ])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let target = try RecoveryTarget.from(call)
        let server = try PITRServer(call, context)
        let dir = ArchiveCommands.trimmed(try call.string("backup_dir"))
        let store = CatalogStore(server: server, directory: dir)
        let location = try BaseBackupOffsite.location(call)
        let pinned = call.optionalString("backup").flatMap { $0.isEmpty ? nil : $0 }
        let landing: [PlannedOperation] = server.isCompose
            ? [.builtin("download each file into a private scratch directory on this machine, decrypting and hashing as it arrives; kept only when its plaintext and ciphertext sha256 and sizes match the repository's manifest; a damaged or tampered object stops the run here, before the server is stopped"),
               .builtin("then copy it into \(dir)/<backup id>/ (which must be on a volume of the service: the unpack step reads it from a one-off container):")]
                + ContainerCopy.commands(server, file: "<verified local file>", to: dir + "/<backup id>/FILE", sha256: "<its sha256>").map { .command($0) }
                + [.builtin("the local copy is deleted once the copy in the container has the same sha256")]
            : [.builtin("download each file into \(dir)/<backup id>/FILE.partial, decrypting and hashing as it arrives; renamed to FILE only when its plaintext and ciphertext sha256 and sizes match the repository's manifest; a damaged or tampered object stops the run here, before the server is stopped")]
        return [
            .builtin("read the base backups' manifest (\(BaseBackupOffsite.namespace)) in \(location); only backups whose every file is listed with its catalog record count"),
            .builtin(pinned.map { "take backup \($0) (it must end before \(target))" } ?? "choose the newest that ended before \(target)"),
            .builtin("decrypt the age header of each of its files and of one archived WAL segment with \(RepositoryRestoreInputs.identityName(call)): unless it opens them all, the run stops here; the server and its data directory are not touched"),
        ] + landing + [.command(store.exists), .command(store.read)] + store.writeCommands(stdinFile: "<catalog with the fetched backup's record>").map { .command($0) }
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let target = try RecoveryTarget.from(call)
        let server = try PITRServer(call, run.context.plan)
        let dir = ArchiveCommands.trimmed(try call.string("backup_dir"))
        let identities = try RepositoryCallSupport.identities(call, run.context)
        let identityName = RepositoryRestoreInputs.identityName(call)
        let location = try BaseBackupOffsite.location(call)
        let config = try BaseBackupOffsite.config(call, run.context)
        return try await RepositoryStore.using(config) { store in
            let (catalog, incomplete) = BaseBackupOffsite.catalog(try await store.entries(namespace: BaseBackupOffsite.namespace))
            if !incomplete.isEmpty { run.log("ignoring incomplete base backups in the repository (a push that did not finish): \(incomplete.joined(separator: ", "))") }
            guard !catalog.backups.isEmpty else { throw PITRFailure("\(location) has no complete base backup" + (incomplete.isEmpty ? "" : " (incomplete: \(incomplete.joined(separator: ", ")))")) }
            let record = try ChooseBackup.choose(catalog, for: target, pinned: call.optionalString("backup").flatMap { $0.isEmpty ? nil : $0 })
            let names = record.files.map { BaseBackupOffsite.entryName(id: record.id, file: $0) }
            try await checkIdentity(identities, opens: names, config: config, store: store, identityName: identityName, location: location)

            let path = dir + "/" + record.id
            if !server.isCompose {
                for made in [dir, path] where !FileManager.default.fileExists(atPath: made) {
                    try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                }
            }
            let local = CatalogStore(server: server, directory: dir)
            var localCatalog = try await local.load(run)
            if let known = localCatalog.record(record.id), known != record {
                throw PITRFailure("\(local.path) already lists a different backup named \(record.id); move \(dir) aside or fetch into another backup_dir")
            }
            for (file, name) in zip(record.files, names) {
                run.log("fetching \(name) into \(path)/\(file)")
                let landing = server.isCompose ? try run.scratchDirectory() + "/" + file : path + "/" + file
                let pulled: RepositoryStore.Pushed
                do {
                    pulled = try await store.pull(name: name, to: landing, identities: identities)
                } catch {
                    throw PITRFailure("\(name) from \(location) was refused: \(error); nothing was unpacked, the server and its data directory are untouched")
                }
                if server.isCompose {
                    defer { try? FileManager.default.removeItem(atPath: landing) }
                    try await ContainerCopy.copy(landing, server, to: path + "/" + file, sha256: pulled.plaintextSHA256, run)
                }
            }
            if localCatalog.record(record.id) == nil {
                localCatalog.backups.append(record)
                try await local.save(localCatalog, run)
            }
            run.context.audit("pitr.fetch-base-backup", ["backup_id": .string(record.id), "names": .list(names.map { .string($0) }),
                                                         "repository": .string(location), "to": .string(path)])
            return .ok("base backup \(record.id) (ended \(record.stopTime), consistent from \(record.stopLSN)) fetched from \(location) into \(path), sha256 checked", outputs: [
                "backup_id": .string(record.id), "backup_path": .string(path), "names": .list(names.map { .string($0) }),
            ])
        }
    }

    /// The identity must open every file of the backup and the WAL the recovery will fetch
    /// (one segment's header: all are encrypted to the same recipients).
    private func checkIdentity(_ identities: [AgeIdentity], opens names: [String], config: RepositoryConfig, store: RepositoryStore,
                               identityName: String, location: String) async throws {
        let refused = { (what: String, error: Error) in
            PITRFailure("\(identityName) does not open \(what) in \(location): \(error) (the identity's public key is \(identities.map(\.recipient.description).joined(separator: ", ")); the repository's recipients are \(config.recipients.joined(separator: ", "))); nothing was fetched, the server and its data directory are untouched")
        }
        for name in names {
            do { try await store.checkIdentities(identities, against: name) } catch let error as AgeError { throw refused(name, error) }
        }
        let wal = try WALArchive(config: config)
        defer { Task { await wal.shutdown() } }
        do {
            try await wal.checkIdentities(identities)
        } catch let error as AgeError {
            throw refused("the archived WAL", error)
        } catch WALArchiveError.empty {
            // No WAL at all: the archive check (pitr.archive-covers) says what that means for the target.
        }
    }
}
