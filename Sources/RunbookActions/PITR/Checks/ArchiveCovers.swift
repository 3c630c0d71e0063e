import Foundation
import RunbookCore
import RunbookEngine

/// Check `pitr.archive-covers`: the WAL archive holds everything a recovery from the chosen
/// base backup to the target needs:
/// - every segment from the backup's start, without a hole, at least until the backup is consistent;
/// - time target: a commit or abort *after* the target time in the archived WAL (recovery stops
///   on the first such record; without one it runs off the end of the archive and PostgreSQL
///   fails with "recovery ended before configured recovery target was reached");
/// - LSN target: the target lies after the backup's consistency point and inside the archive;
/// - restore point: a record of that name after the backup's consistency point;
/// - immediate: nothing more.
/// It reads the WAL itself with pg_waldump (from `bin_dir`) on the server's machine.
struct ArchiveCovers: PITRAction {
    let spec = ActionSpec("pitr.archive-covers", role: .check, summary: "The WAL archive covers everything from the base backup's start to the recovery target.", inputs: [
        PITRServer.targetInput,
        InputSpec("archive_dir", .path, "The WAL archive directory (or give repository)."),
        InputSpec("backup_dir", .path, required: true, "Directory of base backups with catalog.json."),
        InputSpec("backup", .string, "The base backup to recover from; default: chosen like pitr.choose-backup."),
        InputSpec("max_scan_segments", .int, default: .int(256), "How many of the newest segments to read looking for the newest commit."),
    ] + ArchiveSource.inputs + RecoveryTarget.inputs, outputs: [
        OutputSpec("first_segment", "First segment the recovery needs."),
        OutputSpec("last_segment", "Last segment of the unbroken run in the archive."),
        OutputSpec("newest_commit", "Time of the newest commit or abort in the archive (time targets)."),
    ])

    func listArchive(_ server: PITRServer, _ dir: String) -> CommandLine {
        server.onHost(["ls", "-1A", "--", ArchiveCommands.trimmed(dir)])
    }

    /// pg_waldump over one segment (transactions) or a range (XLOG records, for restore points), in UTC.
    func waldump(_ server: PITRServer, archive: String, arguments: [String], output: String) -> CommandLine {
        var c = server.onHost([server.tool("pg_waldump"), "-p", ArchiveCommands.trimmed(archive)] + arguments,
                              environment: ["TZ": .literal("UTC")])
        c.stdoutFile = output
        return c
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let target = try RecoveryTarget.from(call)
        let server = try PITRServer(call, context)
        let store = CatalogStore(server: server, directory: try call.string("backup_dir"))
        let remote = call.has("repository")
        let archive = !remote ? try call.string("archive_dir")
            : server.isCompose ? try ArchiveSource.containerDirectory(server) : "<private local directory>"
        var ops: [PlannedOperation] = [.command(store.exists), .command(store.read)]
        if remote {
            ops.append(.builtin("list the WAL archive's keys (wal/NAME.SHA256.age) in \(try BaseBackupOffsite.location(call))"))
        } else {
            ops.append(.command(listArchive(server, archive)))
        }
        ops.append(.builtin("check segments from the backup's start are all there, without a hole"))
        let copied = server.isCompose ? " (through a private directory on this machine, then copied into the container with its sha256 checked again, and removed after the check)" : ""
        if remote, case .time = target {
            ops.append(.builtin("each segment read below is first fetched from the repository into \(archive), decrypted with \(RepositoryRestoreInputs.identityName(call)) and its sha256 checked\(copied)"))
        } else if remote, case .name = target {
            ops.append(.builtin("every segment from the backup's start to the archive's end is first fetched from the repository into \(archive), decrypted with \(RepositoryRestoreInputs.identityName(call)) and its sha256 checked\(copied)"))
        }
        switch target {
        case .time:
            ops.append(.builtin("newest segment first, until one holds a transaction:"))
            ops.append(.command(waldump(server, archive: archive, arguments: ["-r", "Transaction", "<segment>"], output: "<scratch>/xact.txt")))
        case .name:
            ops.append(.command(waldump(server, archive: archive, arguments: ["-t", "<timeline>", "-r", "XLOG", "-s", "<backup start>", "-e", "<archive end>"], output: "<scratch>/xlog.txt")))
        case .lsn, .immediate, .latest:
            break
        }
        return ops
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let target = try RecoveryTarget.from(call)
        let server = try PITRServer(call, run.context.plan)
        let source = try ArchiveSource.open(call, server, run)
        do {
            let result = try await check(call, run, server, target, source)
            await source.close()
            return result
        } catch {
            await source.close()
            throw error
        }
    }

    private func check(_ call: ResolvedCall, _ run: PITRRun, _ server: PITRServer, _ target: RecoveryTarget, _ source: ArchiveSource) async throws -> ActionResult {
        let archive = source.directory
        let catalog = try await CatalogStore(server: server, directory: try call.string("backup_dir")).load(run)
        let record = try ChooseBackup.choose(catalog, for: target, pinned: call.optionalString("backup").flatMap { $0.isEmpty ? nil : $0 })
        guard let start = record.startSegment, let stopLSN = record.stopLSNValue else {
            throw PITRFailure("catalog entry \(record.id) has no valid start segment / stop LSN")
        }
        let names = try await source.names(server, run, list: listArchive(server, archive))
        let coverage = ArchiveCoverage(names: names, start: start, stopLSN: stopLSN)
        if let problem = coverage.problem { return .failed(problem) }
        guard let last = coverage.lastContiguous, let end = coverage.endLSN else { return .failed("the archive is empty") }
        var outputs: [String: Value] = ["first_segment": .string(start.fileName), "last_segment": .string(last.fileName)]
        let span = "\(start.fileName)..\(last.fileName)"

        switch target {
        case .immediate:
            return .ok("archive holds \(span): the backup \(record.id) can be made consistent", outputs: outputs)
        case .latest:
            let after = coverage.gap.map { "; WAL after the hole at \($0.fileName) will not be replayed" } ?? ""
            return .ok("archive holds \(span): recovery will replay to \(end)\(after)", outputs: outputs)
        case .lsn(let l):
            guard l >= stopLSN else { return .failed("the target \(l) is before \(stopLSN), where backup \(record.id) becomes consistent") }
            guard l < end else { return .failed("the target \(l) is beyond the archive, which ends at \(end) (\(last.fileName))") }
            return .ok("archive holds \(span), through the target \(l)", outputs: outputs)
        case .time(let t):
            let limit = max(1, try call.int("max_scan_segments"))
            for segment in coverage.newestFirst.prefix(limit) {
                try await source.make(available: [segment.fileName])
                let file = try run.scratchFile("xact-\(segment.fileName).txt", "")
                try await run.must(waldump(server, archive: archive, arguments: ["-r", "Transaction", segment.fileName], output: file),
                                   "reading \(segment.fileName) with pg_waldump")
                let times = WALDumpLines.transactionTimes(try LocalText.tail(of: file, bytes: 256 * 1024)[...])
                try? FileManager.default.removeItem(atPath: file)
                guard let newest = times.max() else { continue }
                outputs["newest_commit"] = .string(newest.iso8601)
                guard t < newest else {
                    return .failed("the archive's newest transaction ended at \(newest.iso8601), not after the target \(t.iso8601): recovery would run out of WAL before reaching it (switch WAL on the server, wait for archiving, or choose an earlier target)")
                }
                return .ok("archive holds \(span); a transaction at \(newest.iso8601) is after the target \(t.iso8601)", outputs: outputs)
            }
            return .failed("no transaction found in the newest \(min(limit, coverage.newestFirst.count)) archived segments after backup \(record.id) became consistent: the target \(t.iso8601) cannot be shown to be reachable")
        case .name(let name):
            try await source.make(available: (start.number...last.number).map { WALSegment(timeline: start.timeline, number: $0, size: start.size).fileName })
            let file = try run.scratchFile("xlog.txt", "")
            try await run.must(waldump(server, archive: archive, arguments: ["-t", String(start.timeline), "-r", "XLOG", "-s", start.startLSN.description, "-e", end.description], output: file),
                               "reading the archive with pg_waldump")
            let found = try LocalText.firstMatch(in: file) { WALDumpLines.restorePoint(name, in: $0) }
            try? FileManager.default.removeItem(atPath: file)
            guard let at = found else { return .failed("no restore point \"\(name)\" in the archive after backup \(record.id) (\(span))") }
            guard at >= stopLSN else {
                return .failed("restore point \"\(name)\" is at \(at), before \(stopLSN) where backup \(record.id) becomes consistent; pick an older backup with `backup:`")
            }
            return .ok("archive holds \(span); restore point \"\(name)\" at \(at)", outputs: outputs)
        }
    }
}

/// Reading local text files that processes wrote, without loading big ones whole.
enum LocalText {
    static func tail(of path: String, bytes: Int) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PITRFailure("cannot read \(path)") }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        let from = size > UInt64(bytes) ? size - UInt64(bytes) : 0
        try handle.seek(toOffset: from)
        var text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        if from > 0, let newline = text.firstIndex(of: "\n") { text = String(text[text.index(after: newline)...]) }
        return text
    }

    /// Feeds the file to `match` in chunks of whole lines; the first non-nil answer wins.
    static func firstMatch<T>(in path: String, chunk: Int = 1 << 20, _ match: (Substring) -> T?) throws -> T? {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PITRFailure("cannot read \(path)") }
        defer { try? handle.close() }
        var carry = ""
        while true {
            let data = try handle.read(upToCount: chunk) ?? Data()
            if data.isEmpty { return carry.isEmpty ? nil : match(carry[...]) }
            var text = carry + String(decoding: data, as: UTF8.self)
            if let lastNewline = text.lastIndex(of: "\n") {
                carry = String(text[text.index(after: lastNewline)...])
                text = String(text[...lastNewline])
            } else {
                carry = text
                continue
            }
            if let found = match(text[...]) { return found }
        }
    }
}
