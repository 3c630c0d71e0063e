import Foundation
import RunbookCore
import RunbookEngine

/// The offsite half of `DumpPipeline`: where the artifact goes when the call names a repository.
///
/// - `keep_local: true`: the local artifact is produced, read back and recorded exactly as
///   without a repository, then the finished file is pushed. The file is read a second time
///   (usually from the page cache), but only an artifact that passed every check leaves the
///   host, and a failed push leaves the local backup intact and recorded.
/// - `keep_local: false`: pg_dump's output streams through `OffsiteStream` into
///   `RepositoryStore.push` (sha256, age, multipart), with no file on disk; the local manifest
///   records the artifact as offsite-only (`DumpRecord.offsite`, `local_copy: false`).
extension DumpPipeline {
    /// The plan's last lines with a repository, in place of the local-only one.
    func offsitePlanned(_ offsite: OffsiteDestination, localSteps: String) -> [PlannedOperation] {
        let entry = offsite.entryName(name)
        guard offsite.keepLocal else {
            return [.builtin("no local file: \(name).partial is a FIFO that runbook reads as pg_dump writes it; the stream is hashed (sha256), encrypted with age to the target's \(offsite.target.recipients.count) recipient(s) and uploaded in parts to \(offsite.described) as \(entry); the end of the stream is let through only after every exit status was checked and the output read back as \(format.rawValue)\(trailer.map { " (ends with \"\($0)\")" } ?? ""); otherwise the upload is aborted. Then the repository's dumps manifest lists \(entry) with its record (plaintext and ciphertext sha256 and sizes), and \((directory as NSString).appendingPathComponent(DumpManifest.fileName)) records it as offsite-only")]
        }
        return [.builtin(localSteps),
                .builtin("then push \(name) to \(offsite.described) as \(entry): sha256, age encryption to the target's \(offsite.target.recipients.count) recipient(s), multipart upload, listed in the repository's dumps manifest last; a failed push fails the step but keeps the local artifact")]
    }

    func pushFinishedArtifact(_ record: DumpRecord, to offsite: OffsiteDestination, _ store: ManifestStore,
                              _ context: RunContext, result: inout ActionResult) async throws {
        let repository = try offsite.store(context)
        let entryName = offsite.entryName(name)
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: finalPath))
            defer { try? handle.close() }
            let metadata = try OffsiteDestination.metadata(record)
            let entry: RepositoryStore.Pushed
            if let listed = try await Self.listedCopy(of: record, as: entryName, in: repository) {
                // A run killed after the repository listed it but before the local manifest said so.
                entry = listed
                result.message = (result.message ?? "") + "; \(entryName) was already listed with the same sha256, not pushed again"
            } else {
                entry = try await OffsitePushTask.start { try await repository.push(name: entryName, from: handle, metadata: metadata) }.value
            }
            guard entry.plaintextSHA256 == record.sha256, entry.plaintextSize == record.size else {
                _ = try? await repository.remove(names: [entryName])
                throw Failure(message: "\(finalPath) changed while it was pushed (sha256 \(entry.plaintextSHA256.prefix(12))… instead of \(record.sha256.prefix(12))…); the pushed copy was removed")
            }
            var pushed = record
            pushed.offsite = OffsiteCopy(name: entryName, key: entry.key, ciphertextSize: entry.ciphertextSize,
                                         ciphertextSHA256: entry.ciphertextSHA256, localCopy: true)
            try store.update { manifest in
                if let i = manifest.artifacts.lastIndex(where: { $0.path == name }) { manifest.artifacts[i].offsite = pushed.offsite }
            }
            await repository.shutdown()
            auditPush(pushed, entry, offsite, context)
            result.outputs = outputs(pushed)
            result.message = (result.message ?? "") + "; pushed to \(offsite.targetName) as \(entryName) (\(entry.ciphertextSize) bytes encrypted)"
        } catch {
            await repository.shutdown()
            // The local artifact is complete and recorded: the step fails, the backup stays.
            result.succeeded = false
            result.message = "\(finalPath) is complete and recorded locally, but pushing it to \(offsite.described) failed: \(error)"
        }
    }

    /// A resumed run's step whose local artifact was recorded but not pushed: push it now (or
    /// take the identical listed copy) instead of failing on the existing file.
    func pushRecordedArtifact(_ record: DumpRecord, to offsite: OffsiteDestination, _ store: ManifestStore,
                              _ context: RunContext) async throws -> ActionResult {
        var result = ActionResult(succeeded: true, outputs: outputs(record),
                                  message: "\(finalPath) was already completed and recorded by this run (sha256 \(record.sha256.prefix(12))…), not yet pushed",
                                  exitStatus: 0)
        try await pushFinishedArtifact(record, to: offsite, store, context, result: &result)
        return result
    }

    /// The repository's entry for `name` when it holds exactly this artifact (same plaintext
    /// sha256 and size, with this record as its metadata); nil when it is not listed or differs.
    static func listedCopy(of record: DumpRecord, as name: String, in repository: RepositoryStore) async throws -> RepositoryStore.Pushed? {
        guard let listed = try await repository.entries(namespace: OffsiteDestination.namespace)[name],
              listed.plaintextSHA256 == record.sha256, listed.plaintextSize == record.size,
              listed.metadata?["record"] != nil else { return nil }
        return listed
    }

    func streamOffsiteAndRecord(_ offsite: OffsiteDestination, _ store: ManifestStore, _ context: RunContext) async throws -> ActionResult {
        let repository = try offsite.store(context)
        let entryName = offsite.entryName(name)
        let stream: OffsiteStream
        do {
            stream = try OffsiteStream(fifoPath: partialPath)
        } catch {
            await repository.shutdown()
            throw Failure(message: "\(error)")
        }
        defer { stream.remove() }
        let push = OffsitePushTask.start { try await repository.push(name: entryName, from: stream.pushInput, metadata: nil) }

        var rejection: Failure?
        var outcome: (Produced, Result<TableStatistics.Snapshot, Error>, started: Date, finished: Date)?
        do {
            outcome = try await produceWithStatistics(context)
        } catch let failure as Failure {
            rejection = failure
        } catch {
            rejection = Failure(message: "\(error)")
        }
        await stream.awaitSourceEnd()
        if rejection == nil, let failure = outcome?.0.failure { rejection = failure }
        if rejection == nil { rejection = streamedReadBack(stream) }
        if rejection == nil, Task.isCancelled { rejection = Failure(message: "interrupted") }
        var statistics: TableStatistics.Snapshot?
        if rejection == nil {
            do { statistics = try outcome?.1.get() } catch let failure as Failure { rejection = failure } catch { rejection = Failure(message: "\(error)") }
        }
        if let rejection {
            await withdraw(push, stream, entryName, repository, context)
            throw rejection
        }
        stream.release()
        let entry: RepositoryStore.Pushed
        do {
            entry = try await push.value
        } catch {
            await repository.shutdown()
            throw Failure(message: "pushing \(name) to \(offsite.described) failed: \(error)")
        }
        guard let outcome, let statistics else { throw Failure(message: "internal: no dump outcome") }
        if let streamed = outcome.0.streamedSHA256, streamed != entry.plaintextSHA256 {
            await removePushed(entryName, repository, context, why: "the repository hashed \(entry.plaintextSHA256) but the dump's output was \(streamed)")
            throw Failure(message: "\(entryName): the pushed plaintext's sha256 differs from pg_dump's output; the pushed copy was removed")
        }
        var record = DumpRecord(database: database, kind: kind, format: format, path: name, size: entry.plaintextSize,
                                sha256: entry.plaintextSHA256, serverVersion: statistics.serverVersion,
                                startedAt: outcome.started, finishedAt: outcome.finished,
                                rowCounts: kind == .database ? statistics.rowCounts : nil, verified: true, runID: context.plan.runID)
        record.offsite = OffsiteCopy(name: entryName, key: entry.key, ciphertextSize: entry.ciphertextSize,
                                     ciphertextSHA256: entry.ciphertextSHA256, localCopy: false)
        do {
            // The entry is listed since push returned, without its record until this: readers
            // treat an entry without `record` as unfinished (docs/repository.md).
            let metadata = try OffsiteDestination.metadata(record)
            try await repository.updateMetadata(name: entryName) { $0.merge(metadata) { $1 } }
            try store.update { $0.artifacts.append(record) }
        } catch {
            await removePushed(entryName, repository, context, why: "its record could not be written: \(error)")
            throw Failure(message: "\(entryName) was pushed but recording it failed, so it was removed: \(error)")
        }
        await repository.shutdown()
        auditPush(record, entry, offsite, context)
        let tables = kind == .database ? ", \(statistics.rowCounts.count) tables counted" : ""
        return ActionResult(succeeded: true, outputs: outputs(record),
                            message: "\(entryName) in \(offsite.targetName): \(entry.plaintextSize) bytes (\(entry.ciphertextSize) encrypted), sha256 \(entry.plaintextSHA256.prefix(12))…, no local copy\(tables)",
                            exitStatus: 0, outputBytes: Int(entry.plaintextSize))
    }

    /// A rejected dump: the push is cancelled before the stream's end is let through, so it
    /// cannot complete; should it have completed anyway, its entry is removed (and audited).
    private func withdraw(_ push: Task<RepositoryStore.Pushed, Error>, _ stream: OffsiteStream, _ entryName: String,
                          _ repository: RepositoryStore, _ context: RunContext) async {
        push.cancel()
        stream.release()
        if (try? await push.value) != nil {
            await removePushed(entryName, repository, context, why: "the dump failed after its stream was pushed")
        }
        await repository.shutdown()
    }

    private func removePushed(_ entryName: String, _ repository: RepositoryStore, _ context: RunContext, why: String) async {
        let removed = (try? await repository.remove(names: [entryName])) ?? [:]
        context.audit("repository.delete", ["name": .string(entryName), "reason": .string(why), "removed": .bool(!removed.isEmpty)])
    }

    /// The stream's read-back: its magic and, for SQL, pg_dump's trailer. A gzip stream is
    /// checked by its magic only (pg_dump wrote it and exited 0); a local gzip artifact is
    /// decompressed whole.
    private func streamedReadBack(_ stream: OffsiteStream) -> Failure? {
        let header = stream.header
        guard !header.isEmpty else { return Failure(message: "the dump exited 0 but wrote nothing") }
        let found = DumpSniffer.sniff(header: header)
        guard found == format else { return Failure(message: "the dump's output reads back as \(found.rawValue), not \(format.rawValue)") }
        if let trailer, format == .plain, !String(decoding: stream.trailer, as: UTF8.self).contains(trailer) {
            return Failure(message: "the dump's output does not end with \"\(trailer)\": pg_dump did not finish writing it")
        }
        return nil
    }

    private func auditPush(_ record: DumpRecord, _ entry: RepositoryStore.Pushed, _ offsite: OffsiteDestination, _ context: RunContext) {
        context.audit("repository.push", [
            "name": .string(offsite.entryName(name)), "repository": .string(offsite.targetName), "key": .string(entry.key),
            "database": .string(database), "kind": .string(kind.rawValue),
            "plaintext_sha256": .string(entry.plaintextSHA256), "plaintext_size": .int(Int(entry.plaintextSize)),
            "ciphertext_sha256": .string(entry.ciphertextSHA256), "ciphertext_size": .int(Int(entry.ciphertextSize)),
            "local_copy": .bool(record.isLocal),
        ])
    }
}
