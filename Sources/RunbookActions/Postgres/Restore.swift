import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.restore`: restores an artifact with the tool its real format needs, found by
/// sniffing its header (PGDMP: custom; toc.dat: directory; 1f 8b: gzip'd SQL; ustar: tar;
/// else SQL), never by its name. Refuses an artifact whose sha256 differs from its manifest record.
///
/// `from` is a path, or `latest`: the newest verified backup of `source_database` (default:
/// `database`) in `backup_dir`'s manifest, by the manifest's time. `postgres.latest-backup`
/// exposes the same choice as a step output, for runbooks that need the path itself.
struct Restore: ExecutableAction, ConfirmationSubject {
    let spec = ActionSpec(
        "postgres.restore",
        summary: "Restore a dump with psql or pg_restore, chosen from the artifact's header; refuses a checksum mismatch.",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("The database to restore into (it must exist; see postgres.recreate-database)."),
            InputSpec("from", .string, required: true, "The artifact's path, or `latest` (with backup_dir)."),
            InputSpec("backup_dir", .path, "With from: latest, the directory whose manifest.json names the latest backup."),
            InputSpec("source_database", .identifier, "With from: latest, whose backups to pick from; default: database."),
            InputSpec("jobs", .int, default: .int(1), "Parallel pg_restore jobs (custom and directory archives)."),
            InputSpec("clean", .bool, default: .bool(false), "Drop objects before recreating them (pg_restore --clean --if-exists)."),
            InputSpec("no_owner", .bool, default: .bool(false), "Do not restore ownership (pg_restore --no-owner)."),
            InputSpec("single_transaction", .bool, default: .bool(true),
                      "All or nothing: psql -1 for SQL; pg_restore --single-transaction when jobs is 1."),
            InputSpec("require_manifest", .bool, default: .bool(true),
                      "Refuse an artifact the manifest beside it does not record (its checksum cannot be checked)."),
        ],
        outputs: [
            OutputSpec("path", "The artifact restored."),
            OutputSpec("format", "Its format, as sniffed."),
            OutputSpec("sha256", "Its sha256, as checked."),
            OutputSpec("seconds", "Wall time of the restore itself: RTO evidence."),
        ]
    )

    struct Recipe {
        var located: ArtifactLocator.Located
        var format: DumpFormat
        var database: String
        var requireManifest: Bool
        /// Copy into the container, restore, remove the copy (compose); or just restore.
        var steps: [CommandLine]
        var restore: CommandLine
        var cleanup: [CommandLine]
        var notes: [String]
    }

    func recipe(_ call: ResolvedCall, _ context: PlanContext) throws -> Recipe {
        let endpoint = try PostgresEndpoint(call, in: context)
        let database = try call.string("database")
        let source = call.optionalString("source_database") ?? database
        let located = try ArtifactLocator.locate(from: try call.string("from"), directory: call.optionalString("backup_dir"), database: source)
        let format = try DumpSniffer.sniff(path: located.path)
        var jobs = try call.int("jobs")
        guard jobs >= 1 else { throw ActionInputError.invalid("jobs", "must be at least 1") }
        let clean = try call.bool("clean")
        let singleTransaction = try call.bool("single_transaction")
        var notes: [String] = []
        var steps: [CommandLine] = []
        var cleanup: [CommandLine] = []
        let restore: CommandLine

        if !format.isArchive {
            guard !clean else {
                throw ActionInputError.invalid("clean", "\(located.path) is SQL text (\(format.rawValue)); psql cannot drop what it will create. Recreate the database first (postgres.recreate-database), or restore a custom or directory archive")
            }
            var args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null"]
            if singleTransaction { args.append("-1") }
            // `-f -` reads stdin as a script: -1 is documented only together with -f or -c.
            if format == .gzip {
                // The decompressor runs here and feeds psql's stdin; both exit statuses are checked.
                restore = endpoint.command("psql", args + ["-f", "-"], database: database, stdinFrom: ["gzip", "-dc", located.path])
            } else {
                switch endpoint.hostFile(located.path) {
                case .argument(let path): restore = endpoint.command("psql", args + ["-f", path], database: database)
                case .stdin(let path): restore = endpoint.command("psql", args + ["-f", "-"], database: database, stdinFile: path)
                }
            }
            if jobs > 1 { notes.append("jobs ignored: SQL text restores in one session") }
        } else {
            if format == .tar && jobs > 1 {
                notes.append("jobs ignored: pg_restore restores tar archives in one session")
                jobs = 1
            }
            var args = ["--exit-on-error"]
            if jobs > 1 { args += ["-j", String(jobs)] } else if singleTransaction { args.append("--single-transaction") }
            if clean { args += ["--clean", "--if-exists"] }
            if try call.bool("no_owner") { args.append("--no-owner") }
            // pg_restore reads stdin only serially and never a directory, so compose copies those in.
            if format == .directory || jobs > 1 { try endpoint.requireLocalFiles(format == .directory ? "from" : "jobs", format == .directory ? "a directory archive" : "a parallel restore") }
            let staging = (format == .directory || jobs > 1)
                ? ContainerStaging(endpoint, runID: context.runID, name: (located.path as NSString).lastPathComponent) : nil
            if let staging {
                steps += staging.copyIn(from: located.path, isDirectory: format == .directory)
                restore = endpoint.command("pg_restore", args, database: database, trailing: [staging.containerPath])
                cleanup.append(staging.remove)
            } else {
                switch endpoint.hostFile(located.path) {
                case .argument(let path): restore = endpoint.command("pg_restore", args, database: database, trailing: [path])
                case .stdin(let path): restore = endpoint.command("pg_restore", args, database: database, stdinFile: path)
                }
            }
        }
        return Recipe(located: located, format: format, database: database, requireManifest: try call.bool("require_manifest"),
                      steps: steps, restore: restore, cleanup: cleanup, notes: notes)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r: Recipe
        do {
            r = try recipe(call, context)
        } catch let e as DumpSniffer.SniffError {
            // The artifact may be written by an earlier step of the same run.
            guard case .missing(let path) = e else { throw e }
            return [.builtin("restore \(path) into \(try call.string("database")) once it exists: psql or pg_restore is chosen from its header, and its sha256 is checked against the manifest beside it")]
        } catch let e as ArtifactLocator.LocateError where call.optionalString("from") == ArtifactLocator.latestKeyword {
            // `latest` is resolved from the manifest when the run gets here; a plan made
            // elsewhere (or before the first backup) says so instead of failing.
            return [.builtin(ArtifactLocator.latestUnknown(directory: call.optionalString("backup_dir"), e)),
                    .builtin("restore it into \(try call.string("database")): psql or pg_restore is chosen from its header, and its sha256 is checked")]
        }
        var ops: [PlannedOperation] = []
        if call.optionalString("from") == ArtifactLocator.latestKeyword { ops.append(.builtin(ArtifactLocator.latestNow(r.located))) }
        ops.append(.builtin(checksumNote(r)))
        ops += r.steps.map { .command($0) }
        ops.append(.command(r.restore))
        ops += r.cleanup.map { .command($0) }
        ops += r.notes.map { .builtin($0) }
        return ops
    }

    private func checksumNote(_ r: Recipe) -> String {
        let what = "\(r.located.path) is \(r.format.rawValue) (sniffed from its header)"
        if let record = r.located.record {
            return "\(what); check its sha256 equals \(record.sha256.prefix(16))… recorded in \(r.located.store.path)"
        }
        return r.requireManifest
            ? "\(what); \(r.located.store.path) does not record it, so the restore will be refused (require_manifest: false to allow)"
            : "\(what); not in \(r.located.store.path): its checksum cannot be checked (require_manifest: false)"
    }

    /// Names the artifact before the confirmation: `latest` becomes the file the manifest names
    /// now, with when it was taken, its size and whether it was verified, and that file is what runs.
    func confirmationSubject(_ call: ResolvedCall, in context: PlanContext) throws -> ConfirmedSubject {
        let from = try call.string("from")
        let located = try ArtifactLocator.locate(from: from, directory: call.optionalString("backup_dir"),
                                                 database: call.optionalString("source_database") ?? call.string("database"))
        let line = ArtifactSummary.line(located)
        var pinned = call
        pinned.inputs["from"] = .string(located.path)
        var data: [String: Value] = ["artifact": .string(located.path), "artifact_summary": .string(line)]
        if let record = located.record {
            data["artifact_sha256"] = .string(record.sha256)
            data["artifact_taken_at"] = .string(ManifestTime.format(record.finishedAt))
            data["artifact_size"] = .int(Int(record.size))
            data["artifact_verified"] = .bool(record.verified)
        }
        return ConfirmedSubject(details: [from == ArtifactLocator.latestKeyword ? "latest is \(line)" : "restores \(line)"],
                                data: data, pinned: pinned)
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r: Recipe
        do {
            r = try recipe(call, context.plan)
        } catch let e as ArtifactLocator.LocateError {
            return .failed(e.description)
        } catch let e as DumpSniffer.SniffError {
            return .failed(e.description)
        } catch let e as ManifestStore.StoreError {
            return .failed(e.description)
        }
        let sha256: String
        do {
            sha256 = try ArtifactLocator.checkIntegrity(r.located, requireManifest: r.requireManifest)
        } catch let e as ArtifactLocator.LocateError {
            context.audit("postgres.restore-refused", ["path": .string(r.located.path), "reason": .string(e.description)])
            return .failed(e.description)
        }
        if r.located.record == nil {
            context.log("warning: \(r.located.path) is not in \(r.located.store.path); restoring without a checksum check\n")
        }

        let started = Date()
        var failure: ActionResult?
        for command in r.steps + [r.restore] where failure == nil {
            let result = try await PostgresExecution.run(command, in: context)
            if !result.succeeded { failure = .failed(PostgresExecution.failure(command, result), exitStatus: result.status.code) }
        }
        for command in r.cleanup { _ = try? await PostgresExecution.run(command, in: context) }
        let seconds = Date().timeIntervalSince(started)
        context.audit("postgres.restore", [
            "path": .string(r.located.path), "database": .string(r.database), "format": .string(r.format.rawValue),
            "sha256": .string(sha256), "seconds": .string(PostgresExecution.seconds(seconds)), "succeeded": .bool(failure == nil),
        ])
        if let failure { return failure }
        return ActionResult(succeeded: true,
                            outputs: ["path": .string(r.located.path), "format": .string(r.format.rawValue),
                                      "sha256": .string(sha256), "seconds": .string(PostgresExecution.seconds(seconds))],
                            message: "restored \(r.located.path) (\(r.format.rawValue)) into \(r.database) in \(PostgresExecution.seconds(seconds))s",
                            exitStatus: 0)
    }
}
