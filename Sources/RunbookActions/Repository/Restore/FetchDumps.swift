import Foundation
import RunbookCore
import RunbookEngine

/// `repository.fetch-dumps`: brings the repository's copy of the newest verified dump of each
/// database (and of the roles) into a local backup directory, as `backup` would have left
/// them there: each object is downloaded and decrypted into `NAME.partial`, renamed only when
/// the sizes and sha256 of its ciphertext and plaintext match the repository's manifest and
/// the plaintext's sha256 matches its dump record; then the records go into the directory's
/// manifest.json. The local restore path (`latest`, `postgres.restore`,
/// `postgres.restore-globals`, row-count verification) then works unchanged.
///
/// Nothing is recorded unless every object verified: a failure removes what this call
/// fetched, so a restore that follows finds nothing half-fetched.
struct FetchDumps: ExecutableAction {
    let spec = ActionSpec(
        "repository.fetch-dumps",
        summary: "Download, decrypt and verify the newest verified dump of each database (and the newest globals dump) from the repository into a backup directory (created 0700), and record them in its manifest.json for the local restore steps.",
        inputs: RepositoryRestoreInputs.selectionInputs + [
            InputSpec("dir", .path, required: true, "The backup directory to fetch into (created with mode 0700 if missing: a bare host has none)."),
        ],
        outputs: [
            OutputSpec("artifacts", "The local paths fetched, databases first, then the globals dump."),
            OutputSpec("names", "The repository objects they came from (`dumps/NAME`), in the same order."),
            OutputSpec("finished_at", "When each one's dump finished (UTC), in the same order: the RPO evidence."),
            OutputSpec("summary", "For people: each object, what it holds, when its dump finished, where it was put."),
            OutputSpec("bytes", "Plaintext bytes fetched."),
        ]
    )

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let dir = try call.string("dir")
        let location = try RepositoryRestoreInputs.location(call)
        let target = try RepositoryRestoreInputs.repositoryTarget(call)
        let namespace = try call.string("namespace")
        let manifest = (dir as NSString).appendingPathComponent(DumpManifest.fileName)
        return [
            .builtin("create \(dir) with mode 0700 if it is missing"),
            .builtin("read \(target.prefix)manifests/\(namespace).json in \(location) and take \(IdentityOpensCheck.choice(call)); the plan does not read the repository (no credentials, no network): the run names each object, its dump's finish time and its key when it gets here"),
            .builtin("for each: download its object \(target.prefix)objects/\(namespace)/NAME/….age and decrypt it with \(RepositoryRestoreInputs.identityName(call)) into \(dir)/NAME.partial; renamed to \(dir)/NAME only when the ciphertext's and plaintext's sizes and sha256 match the repository's manifest and the plaintext's sha256 matches the dump's record; a tampered, truncated or wrongly keyed object is refused here, before any database is touched"),
            .builtin("add the dumps' records to \(manifest) (refused when it already records a newer verified dump of one of them: `latest` would not be the repository's copy); on any failure nothing is recorded and what was fetched is removed"),
        ]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let dir = try call.string("dir")
        return try await S3ActionSupport.attempt {
            let identities = try RepositoryRestoreInputs.identities(call, context)
            return try await RepositoryRestoreInputs.withStore(call, context) { store in
                let catalog = try await store.dumpCatalog(namespace: try call.string("namespace"))
                let items = try RepositoryRestoreInputs.selection(call, from: catalog)
                try LocalBackupDirectory.prepare(dir)
                let local = ManifestStore(directory: dir)
                try LocalBackupDirectory.checkFits(items, into: try local.read(), manifest: local.path)
                var fetched: [String] = []
                do {
                    for item in items {
                        let path = (dir as NSString).appendingPathComponent(item.record.path)
                        context.log("fetching \(item.summary) from \(item.entry.key)\n")
                        let existed = DurableFiles.exists(path)
                        let entry = try await store.pull(name: item.name, to: path, identities: identities)
                        if !existed { fetched.append(path) }
                        guard entry.plaintextSHA256 == item.record.sha256 else {
                            throw DumpCatalog.CatalogError(description: "\(item.name) decrypted to sha256 \(entry.plaintextSHA256), but its dump record says \(item.record.sha256); nothing was restored")
                        }
                    }
                    try local.update { manifest in
                        for item in items { LocalBackupDirectory.record(item.record, in: &manifest) }
                    }
                } catch {
                    for path in fetched { unlink(path) }
                    throw error
                }
                let paths = items.map { (dir as NSString).appendingPathComponent($0.record.path) }
                let finished = items.map { ManifestTime.format($0.record.finishedAt) }
                let summary = items.map { "\($0.summary) → \((dir as NSString).appendingPathComponent($0.record.path))" }.joined(separator: "; ")
                let bytes = items.reduce(Int64(0)) { $0 + $1.entry.plaintextSize }
                context.audit("repository.fetch", [
                    "repository": .string(catalog.location), "dir": .string(dir),
                    "names": .list(items.map { .string($0.name) }), "keys": .list(items.map { .string($0.entry.key) }),
                    "sha256": .list(items.map { .string($0.record.sha256) }), "finished_at": .list(finished.map(Value.string)),
                ])
                return ActionResult(succeeded: true,
                                    outputs: ["artifacts": .list(paths.map(Value.string)), "names": .list(items.map { .string($0.name) }),
                                              "finished_at": .list(finished.map(Value.string)), "summary": .string(summary),
                                              "bytes": .int(Int(bytes))],
                                    message: "fetched and verified \(summary)", exitStatus: 0, outputBytes: Int(bytes))
            }
        }
    }
}

/// The local backup directory a fetch writes into.
enum LocalBackupDirectory {
    /// Creates it with mode 0700 when missing (parents too): on a bare host there is no /backups.
    static func prepare(_ dir: String) throws {
        guard !DurableFiles.exists(dir) else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Refuses, before anything is downloaded, a fetch whose records could not take effect:
    /// a record naming a path outside the directory, a directory archive (not one object), a
    /// file of the same name recorded with other contents, or a newer verified local dump of
    /// the same database, which `latest` would pick instead of the repository's copy.
    static func checkFits(_ items: [DumpCatalog.Item], into manifest: DumpManifest, manifest path: String) throws {
        for item in items {
            let r = item.record
            guard !r.path.isEmpty, !r.path.contains("/"), r.path != ".", r.path != ".." else {
                throw DumpCatalog.CatalogError(description: "\(item.name) records the path \"\(r.path)\", not a file name; refusing to write outside the backup directory")
            }
            guard r.format != .directory else {
                throw DumpCatalog.CatalogError(description: "\(item.name) is a directory archive; the repository holds single files: back up with format custom to restore from the repository")
            }
            if let same = manifest.record(named: r.path), same.sha256 != r.sha256 {
                throw DumpCatalog.CatalogError(description: "\(path) already records \(r.path) with sha256 \(same.sha256), but the repository's \(item.name) has \(r.sha256); refusing to replace it (fetch into an empty directory)")
            }
            if let newer = manifest.latestVerified(database: r.database, kind: r.kind), newer.path != r.path, newer.finishedAt > r.finishedAt {
                throw DumpCatalog.CatalogError(description: "\(path) records \(newer.path) (finished \(ManifestTime.format(newer.finishedAt))), newer than the repository's \(item.name) (finished \(ManifestTime.format(r.finishedAt))): `latest` would restore it, not the repository's copy; restore it with source local, or fetch into an empty directory")
            }
        }
    }

    /// Puts the repository's record in the local manifest, replacing a record of the same file
    /// (same contents, as `checkFits` made sure) while keeping its restore tests.
    static func record(_ record: DumpRecord, in manifest: inout DumpManifest) {
        var record = record
        if let index = manifest.artifacts.lastIndex(where: { $0.path == record.path }) {
            let local = manifest.artifacts[index].restoreTests.filter { !record.restoreTests.contains($0) }
            record.restoreTests = (record.restoreTests + local).sorted { $0.at < $1.at }
            manifest.artifacts[index] = record
        } else {
            manifest.artifacts.append(record)
        }
    }
}
