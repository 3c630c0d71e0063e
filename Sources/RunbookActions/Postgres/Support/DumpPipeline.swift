import Foundation
import RunbookCore
import RunbookEngine

/// How one artifact is produced and admitted into the manifest, shared by `postgres.dump`
/// and `postgres.dump-globals`:
///
/// 0. for a database, a psql session exports the snapshot pg_dump will dump in, and counts
///    rows in it while pg_dump runs (`SharedSnapshot`);
/// 1. the producer writes `NAME.partial`: a file through the runner, which hashes pg_dump's
///    output while it streams to disk (`HashingCopier`); a directory archive via `pg_dump -f`;
/// 2. every process's exit status is checked; any failure removes everything it wrote;
/// 3. `NAME.partial` is read back as its format (header, trailer, `gzip -dc`), and a directory
///    archive, which pg_dump wrote itself, is hashed (its one read);
/// 4. it is fsynced, renamed to `NAME` and recorded in the manifest, back to back: nothing
///    slow happens between the rename and the record.
///
/// A failed, interrupted or killed dump therefore leaves no file that looks complete outside
/// the manifest (but for a kill in the microseconds between rename and record, which the next
/// dump's `OrphanSweep` cleans up): the seed's `pg_dump | gzip > f` left a valid 20-byte .gz and exit 0.
struct DumpPipeline: Sendable {
    var database: String
    var kind: DumpRecord.Kind
    var format: DumpFormat
    var directory: String
    /// File or directory name inside `directory`, extension included.
    var name: String
    /// Processes that write the artifact, in order (one, except for compose directory dumps).
    /// A command writing stdout to the artifact leaves it as `NAME.partial` for this pipeline to rename.
    var produce: [CommandLine]
    /// Processes that run after `produce` whatever happened (removing a container staging copy).
    var cleanup: [CommandLine]
    /// Server version and, for a database, exact row counts per table.
    var statistics: Statistics
    /// A process that reads the finished artifact back (`pg_restore --list`, `gzip -dc | tail`).
    var readBack: CommandLine?
    /// The text a SQL dump ends with when pg_dump finished writing it.
    var trailer: String?
    /// The offsite repository the artifact is pushed to, if any (`DumpPipeline+Offsite`).
    var offsite: OffsiteDestination? = nil

    /// Where the manifest's facts about the source come from.
    enum Statistics: Sendable {
        /// A query of its own (pg_dumpall's globals have no snapshot to share).
        case query(CommandLine)
        /// Row counts in the snapshot pg_dump dumps (see `SharedSnapshot`); `produce` holds
        /// `SharedSnapshot.placeholder` where the snapshot goes.
        case sharedSnapshot(PostgresEndpoint, database: String)
    }

    /// The outputs of every action that writes an artifact.
    static let outputs = [
        OutputSpec("path", "The artifact's path."),
        OutputSpec("sha256", "Its sha256 (for a directory archive, of its file listing with per-file sha256)."),
        OutputSpec("size", "Its size in bytes."),
        OutputSpec("format", "Its format."),
        OutputSpec("offsite", "With a repository: the entry's name there (`dumps/NAME`); empty without."),
        OutputSpec("ciphertext_sha256", "With a repository: the sha256 of the encrypted object."),
        OutputSpec("ciphertext_size", "With a repository: the encrypted object's size in bytes."),
    ]

    var finalPath: String { (directory as NSString).appendingPathComponent(name) }
    var partialPath: String { finalPath + ".partial" }
    /// True when the runner writes the artifact from stdout (and owns its `.partial` rename).
    var producedFromStdout: Bool { produce.contains { $0.stdoutFile != nil } }

    /// Names must stay inside the backup directory.
    static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), name != DumpManifest.fileName else {
            throw ActionInputError.invalid("name", "\"\(name)\" must be a plain file name (no /, not starting with a dot, not manifest.json)")
        }
    }

    /// `NAME` plus the format's extension, unless it already ends with it.
    static func fileName(_ base: String, format: DumpFormat) -> String {
        base.hasSuffix(format.fileExtension) ? base : base + format.fileExtension
    }

    /// A run id reduced to characters safe in a file name.
    static func safeComponent(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" })
    }

    var planned: [PlannedOperation] {
        var ops: [PlannedOperation] = produce.map { .command($0) }
        ops += cleanup.map { .command($0) }
        var after: String
        switch statistics {
        case .query(let command):
            ops.append(.command(command))
            after = "psql runs alongside \(kind == .globals ? "pg_dumpall" : "pg_dump"); "
        case .sharedSnapshot(let endpoint, let database):
            // The session comes first: pg_dump needs the snapshot it exports.
            ops.insert(.command(SharedSnapshot.session(endpoint, database: database)), at: 0)
            ops.insert(.builtin("psql exports its REPEATABLE READ snapshot (pg_export_snapshot), pg_dump dumps in it, and the same session counts every table's rows in it while pg_dump runs: the counts describe exactly what was dumped"), at: 1)
            after = ""
        }
        if let readBack { ops.append(.command(readBack)) }
        if producedFromStdout { after += "runbook writes the output to \(name).partial and hashes it (sha256) on the way; " }
        after += "check every exit status and that \(name).partial reads back as \(format.rawValue)"
        if let trailer { after += " (ends with \"\(trailer)\")" }
        if !producedFromStdout { after += "; sha256 of its files" }
        after += "; fsync; then, back to back, rename \(name).partial to \(name) and record it in \((directory as NSString).appendingPathComponent(DumpManifest.fileName)). On any failure remove \(name) and \(name).partial"
        let sweep = "first remove what killed dumps left in \(directory): each .NAME.inflight claim whose run is no longer running, with its NAME.partial and, unless the manifest lists it, NAME (each removal goes to the audit trail); then claim \(name) for this run"
        if let offsite { return [.builtin(sweep)] + ops + offsitePlanned(offsite, localSteps: after) }
        return [.builtin(sweep)] + ops + [.builtin(after)]
    }

    // MARK: - Run

    struct Failure: Error {
        var message: String
        var exitStatus: Int32?
    }

    func run(in context: RunContext) async throws -> ActionResult {
        let store = ManifestStore(directory: directory)
        let resumed: Resumption?
        do {
            // A broken manifest fails the step before any work is done.
            resumed = try resumption(store, context)
        } catch {
            return .failed("\(error)")
        }
        switch resumed {
        case .finished(let result):
            return result
        case .unpushed(let record, let offsite):
            return try await pushRecordedArtifact(record, to: offsite, store, context)
        case nil:
            break
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return .failed("cannot create backup directory \(directory): \(error.localizedDescription)")
        }
        OrphanSweep(directory: directory, store: store, nextArtifact: name).run(in: context)
        guard !DurableFiles.exists(finalPath) else {
            return .failed("\(finalPath) already exists and is not this run's finished artifact; artifacts are never overwritten")
        }
        removeLeftovers()
        do {
            try OrphanSweep.claim(directory: directory, name: name, runID: context.plan.runID)
        } catch {
            return .failed("cannot claim \(finalPath) for this run in \(directory): \(error)")
        }
        defer { OrphanSweep.release(directory: directory, name: name) }
        do {
            let result = try await produceAndRecord(store, context)
            return result
        } catch let failure as Failure {
            removeLeftovers(includingFinal: true)
            return .failed(failure.message, exitStatus: failure.exitStatus)
        } catch {
            removeLeftovers(includingFinal: true)
            throw error
        }
    }

    /// Runs the producers and, alongside, the statistics; then the cleanup processes.
    /// A producer's failure is returned in `Produced`, not thrown.
    func produceWithStatistics(_ context: RunContext) async throws
        -> (Produced, Result<TableStatistics.Snapshot, Error>, started: Date, finished: Date) {
        let started = Date()
        let produced: Produced
        let counted: Result<TableStatistics.Snapshot, Error>
        switch statistics {
        case .query(let command):
            async let separately = statisticsResult(command, context)
            produced = try await runProducers(produce, context)
            counted = await separately
        case .sharedSnapshot(let endpoint, let database):
            do {
                let (result, counts) = try await SharedSnapshot.withSnapshot(endpoint, database: database, in: context) { snapshot in
                    try await runProducers(produce.map { SharedSnapshot.using(snapshot, in: $0) }, context)
                }
                produced = result
                counted = counts.mapError { Failure(message: $0.description, exitStatus: $0.exitStatus) }
            } catch let e as SharedSnapshot.Failure {
                throw Failure(message: e.description, exitStatus: e.exitStatus)
            }
        }
        for command in cleanup {
            _ = try? await PostgresExecution.run(command, in: context)
        }
        return (produced, counted, started, Date())
    }

    private func produceAndRecord(_ store: ManifestStore, _ context: RunContext) async throws -> ActionResult {
        if let offsite, !offsite.keepLocal { return try await streamOffsiteAndRecord(offsite, store, context) }
        let (produced, counted, started, finished) = try await produceWithStatistics(context)
        if let failure = produced.failure { throw failure }
        try Task.checkCancellation()
        guard DurableFiles.exists(partialPath) else {
            throw Failure(message: "the dump exited 0 but \(partialPath) is missing")
        }
        let statistics = try counted.get()
        try await readBack(partialPath, context)
        let sha256: String
        let size: Int64
        do {
            // The runner hashed a stdout artifact while writing it; a directory archive (pg_dump
            // wrote its files itself), or a runner that does not hash, costs one read here.
            sha256 = try produced.streamedSHA256 ?? DumpDigest.sha256(of: partialPath)
            size = try DurableFiles.size(partialPath)
            // The runner already fsynced a stdout artifact; a directory archive is ours to sync.
            if !producedFromStdout { try DurableFiles.sync(partialPath) }
        } catch {
            throw Failure(message: "cannot hash \(partialPath): \(error)")
        }
        try Task.checkCancellation()
        let record = DumpRecord(database: database, kind: kind, format: format, path: name, size: size, sha256: sha256,
                                serverVersion: statistics.serverVersion, startedAt: started, finishedAt: finished,
                                rowCounts: kind == .database ? statistics.rowCounts : nil, verified: true,
                                runID: context.plan.runID)
        // The rename and the record, back to back: the new manifest is written and fsynced
        // first, then the artifact's rename and the manifest's follow each other with nothing
        // between them. A kill in those microseconds is the only way left to leave a
        // complete-looking artifact that no manifest lists, and OrphanSweep removes it.
        do {
            try store.update({ $0.artifacts.append(record) }, justBefore: {
                do {
                    try DurableFiles.renameUnsynced(partialPath, to: finalPath)
                } catch {
                    throw Failure(message: "cannot rename \(partialPath) to \(finalPath): \(error)")
                }
            })
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(message: "\(error)")
        }
        context.audit("postgres.artifact", [
            "database": .string(database), "kind": .string(kind.rawValue), "format": .string(format.rawValue),
            "path": .string(finalPath), "sha256": .string(sha256), "size": .int(Int(size)),
            "seconds": .string(PostgresExecution.seconds(finished.timeIntervalSince(started))),
        ])
        let tables = kind == .database ? ", \(statistics.rowCounts.count) tables counted" : ""
        var result = ActionResult(succeeded: true, outputs: outputs(record),
                                  message: "\(finalPath): \(size) bytes, sha256 \(sha256.prefix(12))…\(tables)",
                                  exitStatus: 0, outputBytes: Int(size))
        if let offsite { try await pushFinishedArtifact(record, to: offsite, store, context, result: &result) }
        return result
    }

    func outputs(_ record: DumpRecord) -> [String: Value] {
        var values: [String: Value] = [
            "path": .string(record.isLocal ? finalPath : ""), "sha256": .string(record.sha256), "size": .int(Int(record.size)),
            "format": .string(record.format.rawValue),
        ]
        if let copy = record.offsite {
            values["offsite"] = .string(copy.name)
            values["ciphertext_sha256"] = .string(copy.ciphertextSHA256)
            values["ciphertext_size"] = .int(Int(copy.ciphertextSize))
        }
        return values
    }

    struct Produced: Sendable {
        var failure: Failure?
        /// The sha256 the runner computed while the artifact streamed to disk.
        var streamedSHA256: String?
    }

    /// Runs the producers in order, stopping at the first failure.
    private func runProducers(_ commands: [CommandLine], _ context: RunContext) async throws -> Produced {
        var streamed: String?
        for command in commands {
            let result = try await PostgresExecution.run(command, in: context)
            if !result.succeeded {
                return Produced(failure: Failure(message: PostgresExecution.failure(command, result), exitStatus: result.status.code))
            }
            if command.stdoutFile != nil { streamed = result.stdoutSHA256 }
        }
        return Produced(failure: nil, streamedSHA256: streamed)
    }

    private func statisticsResult(_ statistics: CommandLine, _ context: RunContext) async -> Result<TableStatistics.Snapshot, Error> {
        do {
            let result = try await PostgresExecution.run(statistics, in: context, quiet: true)
            guard result.succeeded else {
                return .failure(Failure(message: "the dump finished but reading the server's facts failed: " + PostgresExecution.failure(statistics, result),
                                        exitStatus: result.status.code))
            }
            return .success(try TableStatistics.parse(result.stdoutString))
        } catch let failure as Failure {
            return .failure(failure)
        } catch let error as TableStatistics.ParseError {
            return .failure(Failure(message: error.description))
        } catch {
            return .failure(error)
        }
    }

    /// Reads the finished artifact back as its format before it may be called complete.
    func readBack(_ path: String, _ context: RunContext) async throws {
        let found: DumpFormat
        do {
            found = try DumpSniffer.sniff(path: path)
        } catch {
            throw Failure(message: "\(error)")
        }
        guard found == format else {
            throw Failure(message: "\(path) reads back as \(found.rawValue), not \(format.rawValue)")
        }
        if let trailer, format == .plain {
            let tail = (try? DurableFiles.tail(of: path, count: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard tail.contains(trailer) else {
                throw Failure(message: "\(path) does not end with \"\(trailer)\": pg_dump did not finish writing it")
            }
        }
        if let readBack {
            let result = try await PostgresExecution.run(readBack, in: context, quiet: true)
            guard result.succeeded else {
                throw Failure(message: "\(path) does not read back: " + PostgresExecution.failure(readBack, result),
                              exitStatus: result.status.code)
            }
            if let trailer, format == .gzip, !result.stdoutString.contains(trailer) {
                throw Failure(message: "\(path) decompresses but does not end with \"\(trailer)\": pg_dump did not finish writing it")
            }
        }
    }

    /// Removes what an earlier attempt or this failed one left: `NAME.partial` (file or
    /// directory), the runner's own partial of it, and, after a failure, `NAME` itself.
    func removeLeftovers(includingFinal: Bool = false) {
        DurableFiles.remove(partialPath)
        DurableFiles.remove(partialPath + ".partial")
        if includingFinal { DurableFiles.remove(finalPath) }
    }

    /// What a resumed run repeating this step finds of its earlier attempt.
    enum Resumption {
        /// The artifact is complete (and pushed, when the call has a repository): its outputs.
        case finished(ActionResult)
        /// The local artifact is complete and recorded, but its push had not finished.
        case unpushed(DumpRecord, OffsiteDestination)
    }

    /// When this run already finished this artifact (a resumed run repeating the step), what
    /// is left to do instead of failing on the existing file; nil when it is not this run's.
    private func resumption(_ store: ManifestStore, _ context: RunContext) throws -> Resumption? {
        let manifest = try store.read()
        if let record = manifest.record(named: name), record.runID == context.plan.runID, !record.isLocal, let copy = record.offsite {
            return .finished(ActionResult(succeeded: true, outputs: outputs(record),
                                          message: "\(copy.name) was already pushed by this run (sha256 \(record.sha256.prefix(12))…)", exitStatus: 0))
        }
        guard DurableFiles.exists(finalPath), let record = manifest.record(named: name),
              record.runID == context.plan.runID, record.verified else { return nil }
        guard (try? DumpDigest.sha256(of: finalPath)) == record.sha256 else { return nil }
        if let offsite, record.offsite == nil { return .unpushed(record, offsite) }
        return .finished(ActionResult(succeeded: true, outputs: outputs(record),
                                      message: "\(finalPath) was already completed by this run (sha256 \(record.sha256.prefix(12))…)",
                                      exitStatus: 0))
    }
}
