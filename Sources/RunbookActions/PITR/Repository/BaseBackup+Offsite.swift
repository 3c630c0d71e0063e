import Foundation
import RunbookCore
import RunbookEngine

/// The offsite half of `pitr.base-backup` (`repository:`), into the `base` namespace:
/// - `keep_local: true`: the local backup is taken, verified and cataloged exactly as without a
///   repository, then each of its files is streamed (`cat` on the server's machine, so the
///   compose path reads it in the container too) into `base/ID/FILE`; the catalog record is
///   put on every entry last, so the backup is complete in the repository only then.
/// - `keep_local: false`: `pg_basebackup -D - -F tar` writes one tar (the backup manifest is
///   inside, as pg_basebackup puts it when writing to stdout) that streams into
///   `base/ID/base.tar[.gz]` with no copy on disk. pg_basebackup cannot stream WAL into
///   stdout, so `wal_method: stream` becomes `fetch` (the WAL the backup needs goes into the
///   tar, at its end). pg_verifybackup needs files, so this backup is not verified by it: the
///   record says so, and the restore checks the tar's sha256 while decrypting.
extension BaseBackup {
    struct Offsite {
        var keepLocal: Bool
        var location: String
    }

    func offsite(_ call: ResolvedCall) throws -> Offsite? {
        let keepLocal = call.has("keep_local") ? try call.bool("keep_local") : true
        guard call.has("repository") else {
            if !keepLocal { throw ActionInputError.invalid("keep_local", "false needs a repository: without one the backup would be kept nowhere") }
            return nil
        }
        return Offsite(keepLocal: keepLocal, location: try BaseBackupOffsite.location(call))
    }

    /// What a streamed backup runs: pg_basebackup's tar on stdout, with its positions on stderr (-v).
    func streamedCommand(_ call: ResolvedCall, _ server: PITRServer, _ s: Settings) throws -> CommandLine {
        var arguments = ["-D", "-", "-F", "tar", "-X", Self.streamedWALMethod(s.walMethod), "-c", try call.string("checkpoint"),
                         "-l", s.label, "--manifest-checksums", try call.string("manifest_checksums"), "--no-password", "-v"]
        if s.gzip { arguments.append("-z") }
        return server.client("pg_basebackup", arguments)
    }

    static func streamedWALMethod(_ asked: String) -> String { asked == "stream" ? "fetch" : asked }

    func offsitePlanned(_ call: ResolvedCall, _ server: PITRServer, _ s: Settings, _ offsite: Offsite) throws -> [PlannedOperation] {
        let recipients = (try? call.target("repository", as: RepositoryTarget.self).recipients.count) ?? 0
        guard offsite.keepLocal else {
            let entry = BaseBackupOffsite.entryName(id: s.id, file: "base" + s.tarSuffix)
            return [.command(server.psql(["SELECT current_setting('server_version_num') || '|' || (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') || '|' || (SELECT system_identifier FROM pg_control_system()) || '|' || current_setting('archive_mode')"])),
                    .builtin("refuse if \(offsite.location) already lists \(BaseBackupOffsite.namespace)/\(s.id)/"),
                    .command(server.psql(["SELECT extract(epoch FROM clock_timestamp())"])),
                    .command(try streamedCommand(call, server, s)),
                    .builtin("no local copy: nothing is written to \(s.dir). The tar on stdout (backup manifest inside; WAL method \(Self.streamedWALMethod(s.walMethod)): pg_basebackup cannot stream WAL to stdout) goes through a FIFO that runbook reads as it is written: sha256, age encryption to the target's \(recipients) recipient(s), multipart upload to \(offsite.location) as \(entry); the end of the stream is let through only after pg_basebackup exited 0, otherwise the upload is aborted. Start/stop LSN and timeline come from pg_basebackup -v. Not verified with pg_verifybackup (it needs files on disk); the record says so"),
                    .builtin("then the entry's metadata gets the catalog record (start/stop LSN and time, timeline, sizes, sha256): only then is the backup complete in the repository")]
        }
        return [.builtin("then push every file of \(s.final) (base\(s.tarSuffix), pg_wal\(s.tarSuffix) when WAL was streamed, backup_manifest) to \(offsite.location) as \(BaseBackupOffsite.entryName(id: s.id, file: "FILE")): read with cat on the server's machine, sha256, age encryption to the target's \(recipients) recipient(s), multipart upload; each entry gets the catalog record last. A failed push fails the step but the local backup stays complete and cataloged")]
    }

    /// Pushes the files of a finished local backup; the record goes on every entry at the end.
    func pushFinished(_ record: BaseBackupRecord, _ call: ResolvedCall, _ server: PITRServer, _ s: Settings, _ offsite: Offsite,
                      _ run: PITRRun) async throws -> [String: Value] {
        let store = try BaseBackupOffsite.store(call, run.context)
        defer { Task { await store.shutdown() } }
        let stream = RepositoryStream(store: store, run: run)
        var names: [String] = []
        var encrypted: Int64 = 0
        do {
            try await refuseExisting(s.id, store)
            for file in record.files {
                let name = BaseBackupOffsite.entryName(id: s.id, file: file)
                let (_, pushed) = try await stream.push(server.onHost(["cat", "--", s.final + "/" + file]), as: name,
                                                        fifo: try run.scratchDirectory() + "/" + file, what: "reading \(s.final)/\(file)",
                                                        timeout: run.context.timeout)
                names.append(name)
                encrypted += pushed.ciphertextSize
                audit(name, pushed, offsite, run)
            }
            let metadata = try BaseBackupOffsite.metadata(record)
            for name in names { try await store.updateMetadata(name: name) { $0.merge(metadata) { $1 } } }
        } catch {
            throw PITRFailure("base backup \(s.id) is complete and cataloged in \(s.final), but pushing it to \(offsite.location) failed: \(error)")
        }
        run.log("pushed \(names.joined(separator: ", ")) to \(offsite.location) (\(encrypted) bytes encrypted)")
        return ["repository_names": .list(names.map { .string($0) })]
    }

    /// The backup streamed to the repository with no local copy.
    func performStreamed(_ call: ResolvedCall, _ run: PITRRun, _ server: PITRServer, _ s: Settings, _ offsite: Offsite) async throws -> ActionResult {
        let c = try commands(call, server, s)
        let facts = (try await run.rows(c.facts, "reading server facts").first ?? "").split(separator: "|").map(String.init)
        guard facts.count == 4, let versionNum = Int(facts[0]), let segmentSize = Int(facts[1]) else {
            throw PITRFailure("unexpected answer from the server about its version and WAL segment size: \(facts)")
        }
        let walMethod = Self.streamedWALMethod(s.walMethod)
        if facts[3] == "off" && walMethod == "none" {
            throw PITRFailure("archive_mode is off and wal_method is none: this backup could never be restored")
        }
        let store = try BaseBackupOffsite.store(call, run.context)
        defer { Task { await store.shutdown() } }
        try await refuseExisting(s.id, store)
        let startClock = try await run.rows(c.clock, "reading the server clock").first ?? ""
        guard let startTime = Instant.parseEpoch(startClock) else { throw PITRFailure("unexpected server clock \"\(startClock)\"") }
        let file = "base" + s.tarSuffix
        let name = BaseBackupOffsite.entryName(id: s.id, file: file)
        run.log("pg_basebackup streaming to \(offsite.location) as \(name)")
        let stream = RepositoryStream(store: store, run: run)
        let (result, pushed) = try await stream.push(try streamedCommand(call, server, s), as: name,
                                                     fifo: try run.scratchDirectory() + "/" + file, what: "pg_basebackup", timeout: run.context.timeout)
        let positions = BasebackupProgress(result.stderrTail)
        let stopClock = try await run.rows(c.clock, "reading the server clock").first ?? ""
        guard let start = positions.start, let timeline = positions.timeline, let stop = positions.end,
              let stopTime = Instant.parseEpoch(stopClock) else {
            await stream.withdraw(name, why: "pg_basebackup -v did not report the start and end of the backup")
            throw PITRFailure("pg_basebackup did not report the backup's WAL start and end points (stderr: \(result.stderrTail.suffix(300))); the pushed copy was removed")
        }
        let record = BaseBackupRecord(
            id: s.id, label: s.label, format: "tar", compression: s.gzip ? "gzip" : "none", files: [file], walMethod: walMethod,
            timeline: timeline, startLSN: start.description, stopLSN: stop.description,
            startWALFile: WALSegment(containing: start, timeline: timeline, size: segmentSize).fileName,
            startTime: startTime.iso8601, stopTime: stopTime.iso8601, walSegmentSize: segmentSize, systemIdentifier: facts[2],
            serverVersionNum: versionNum, bytes: Int(pushed.plaintextSize), manifestChecksum: nil,
            verification: "not verified with pg_verifybackup when taken (streamed to the repository with no copy on disk): the restore verifies the unpacked directory; sha256 \(pushed.plaintextSHA256) of the tar recorded and checked when it is fetched",
            runID: run.runID)
        do {
            let metadata = try BaseBackupOffsite.metadata(record)
            try await store.updateMetadata(name: name) { $0.merge(metadata) { $1 } }
        } catch {
            await stream.withdraw(name, why: "its catalog record could not be written: \(error)")
            throw PITRFailure("\(name) was pushed but recording it failed, so it was removed: \(error)")
        }
        audit(name, pushed, offsite, run)
        run.context.audit("pitr.base-backup", ["backup_id": .string(s.id), "stop_lsn": .string(record.stopLSN), "bytes": .int(record.bytes),
                                               "local_copy": .bool(false)])
        return .ok("base backup \(s.id) in \(offsite.location) as \(name): \(record.bytes) bytes (\(pushed.ciphertextSize) encrypted), \(record.startLSN)..\(record.stopLSN), no local copy", outputs: [
            "backup_id": .string(s.id), "backup_path": .string(""), "start_lsn": .string(record.startLSN),
            "stop_lsn": .string(record.stopLSN), "start_wal_file": .string(record.startWALFile), "start_time": .string(record.startTime),
            "stop_time": .string(record.stopTime), "bytes": .int(record.bytes), "repository_names": .list([.string(name)]),
        ])
    }

    /// A backup id is used once: the repository must not list any file of it yet.
    private func refuseExisting(_ id: String, _ store: RepositoryStore) async throws {
        let prefix = BaseBackupOffsite.namespace + "/" + id + "/"
        if try await store.entries(namespace: BaseBackupOffsite.namespace).keys.contains(where: { $0.hasPrefix(prefix) }) {
            throw PITRFailure("the repository already has a base backup \"\(id)\"; choose another id")
        }
    }

    private func audit(_ name: String, _ pushed: RepositoryStore.Pushed, _ offsite: Offsite, _ run: PITRRun) {
        run.context.audit("repository.push", [
            "name": .string(name), "key": .string(pushed.key),
            "plaintext_sha256": .string(pushed.plaintextSHA256), "plaintext_size": .int(Int(pushed.plaintextSize)),
            "ciphertext_sha256": .string(pushed.ciphertextSHA256), "ciphertext_size": .int(Int(pushed.ciphertextSize)),
            "local_copy": .bool(offsite.keepLocal),
        ])
    }
}

/// The WAL positions `pg_basebackup -v` reports on stderr:
/// `pg_basebackup: write-ahead log start point: 0/2000028 on timeline 1` and
/// `pg_basebackup: write-ahead log end point: 0/2000100`.
struct BasebackupProgress {
    var start: LSN?
    var timeline: UInt32?
    var end: LSN?

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if let r = line.range(of: "write-ahead log start point: ") {
                let words = line[r.upperBound...].split(separator: " ")
                start = words.first.flatMap { LSN(String($0)) }
                if words.count >= 4, words[1] == "on", words[2] == "timeline" { timeline = UInt32(words[3]) }
            } else if let r = line.range(of: "write-ahead log end point: ") {
                end = line[r.upperBound...].split(separator: " ").first.flatMap { LSN(String($0)) }
            }
        }
    }
}
