import Foundation
import RunbookCore
import RunbookEngine

/// `pitr.base-backup`: a physical base backup with pg_basebackup (tar format, compressed,
/// with a backup manifest), verified with pg_verifybackup, then recorded in the catalog.
///
/// The backup is written to `ID.partial` and renamed to `ID` only after pg_basebackup (which
/// fsyncs what it writes) succeeded and verification passed; the catalog is written after the
/// rename, so the catalog never lists a backup that is not complete and verified.
///
/// pg_verifybackup reads tar-format backups only from PostgreSQL 18 on. With an older
/// pg_verifybackup the tars are extracted into a scratch directory next to the backup
/// (`ID.verify`, removed afterwards: it needs as much free space as the backup uncompressed)
/// and that copy is verified against the manifest, WAL included.
struct BaseBackup: PITRAction {
    let spec = ActionSpec("pitr.base-backup", summary: "Take a base backup (pg_basebackup -Ft, compressed, with manifest), verify it with pg_verifybackup, record it in the catalog.", inputs: [
        PITRServer.targetInput,
        InputSpec("backup_dir", .path, required: true, "Directory of base backups (on the server's machine); holds catalog.json and one directory per backup."),
        InputSpec("id", .string, "Name of this backup's directory; default `base-<run id>`."),
        InputSpec("label", .string, "Backup label (shown in backup_label and pg_stat_progress_basebackup); default the id."),
        InputSpec("compression", .oneOf(["gzip", "none"]), default: .string("gzip"), "Compress the tar files (client side)."),
        InputSpec("wal_method", .oneOf(["stream", "fetch", "none"]), default: .string("stream"), "Include the WAL needed for consistency (`stream`, `fetch`) or rely on the archive (`none`)."),
        InputSpec("checkpoint", .oneOf(["fast", "spread"]), default: .string("fast"), "`fast` starts at once with an immediate checkpoint; `spread` spares I/O."),
        InputSpec("manifest_checksums", .oneOf(["CRC32C", "SHA224", "SHA256", "SHA384", "SHA512"]), default: .string("CRC32C"), "Checksum algorithm of the backup manifest."),
        InputSpec("verify", .bool, default: .bool(true), "Verify with pg_verifybackup before recording the backup."),
        InputSpec("archive_dir", .path, "WAL archive, used to verify the WAL of a `wal_method: none` backup."),
        BaseBackupOffsite.repositoryInput,
        BaseBackupOffsite.keepLocalInput,
    ], outputs: [
        OutputSpec("backup_id", "The backup's id (directory name)."),
        OutputSpec("backup_path", "The backup's directory."),
        OutputSpec("start_lsn", "WAL location where the backup starts."),
        OutputSpec("stop_lsn", "WAL location from which the backup is consistent."),
        OutputSpec("start_wal_file", "First WAL segment the backup needs."),
        OutputSpec("start_time", "Backup start (server clock)."),
        OutputSpec("stop_time", "Backup end (server clock)."),
        OutputSpec("bytes", "Size on disk (streamed: of the tar)."),
        OutputSpec("repository_names", "With repository: the entries pushed (`base/ID/FILE`)."),
    ])

    struct Settings {
        var dir: String
        var id: String
        var label: String
        var gzip: Bool
        var walMethod: String
        var verify: Bool
        var archiveDir: String?

        var partial: String { dir + "/" + id + ".partial" }
        var final: String { dir + "/" + id }
        var scratch: String { dir + "/" + id + ".verify" }
        var tarSuffix: String { gzip ? ".tar.gz" : ".tar" }
        var tarFlags: String { gzip ? "-xzf" : "-xf" }
    }

    func settings(_ call: ResolvedCall, _ context: PlanContext) throws -> Settings {
        let dir = ArchiveCommands.trimmed(try call.string("backup_dir"))
        guard dir.hasPrefix("/") else { throw ActionInputError.invalid("backup_dir", "must be an absolute path") }
        let id = call.optionalString("id").flatMap { $0.isEmpty ? nil : $0 } ?? "base-\(context.runID)"
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }), !id.hasPrefix("."),
              !id.hasSuffix(".partial"), !id.hasSuffix(".verify") else {
            throw ActionInputError.invalid("id", "\"\(id)\" must be letters, digits, . _ - (not starting with a dot)")
        }
        var archive: String?
        if let a = call.optionalString("archive_dir"), !a.isEmpty { archive = ArchiveCommands.trimmed(a) }
        return Settings(dir: dir, id: id, label: call.optionalString("label").flatMap { $0.isEmpty ? nil : $0 } ?? id,
                        gzip: try call.string("compression") == "gzip", walMethod: try call.string("wal_method"),
                        verify: try call.bool("verify"), archiveDir: archive)
    }

    struct Commands {
        let facts: CommandLine
        let absent: CommandLine
        let makeDir: CommandLine
        let basebackup: CommandLine
        let clock: CommandLine
        let backupLabel: CommandLine
        let manifestTail: CommandLine
        let listFiles: CommandLine
        let verifierVersion: CommandLine
        let size: CommandLine
        let rename: [CommandLine]
    }

    func commands(_ call: ResolvedCall, _ server: PITRServer, _ s: Settings) throws -> Commands {
        var basebackup = ["-D", s.partial, "-F", "tar", "-X", s.walMethod, "-c", try call.string("checkpoint"),
                          "-l", s.label, "--manifest-checksums", try call.string("manifest_checksums"), "--no-password"]
        if s.gzip { basebackup.append("-z") }
        return Commands(
            facts: server.psql(["SELECT current_setting('server_version_num') || '|' || (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') || '|' || (SELECT system_identifier FROM pg_control_system()) || '|' || current_setting('archive_mode')"]),
            absent: server.onHost(["test", "!", "-e", s.final, "-a", "!", "-e", s.partial, "-a", "!", "-e", s.scratch]),
            makeDir: server.onHost(["mkdir", "-p", "-m", "0700", "--", s.dir]),
            basebackup: server.client("pg_basebackup", basebackup),
            clock: server.psql(["SELECT extract(epoch FROM clock_timestamp())"]),
            backupLabel: server.onHost(["tar", s.gzip ? "-xzOf" : "-xOf", s.partial + "/base" + s.tarSuffix, "backup_label"]),
            manifestTail: server.onHost(["tail", "-c", "4096", "--", s.partial + "/backup_manifest"]),
            listFiles: server.onHost(["ls", "-1A", "--", s.partial]),
            verifierVersion: server.onHost([server.tool("pg_verifybackup"), "--version"]),
            size: server.onHost(["du", "-sb", "--", s.partial]),
            rename: [server.onHost(["mv", "-T", "--", s.partial, s.final]), server.onHost(["sync", "--", s.dir])])
    }

    /// pg_verifybackup for a tar backup: directly from PostgreSQL 18, else on an extracted copy.
    func verifyCommands(_ server: PITRServer, _ s: Settings, verifierMajor: Int, hasWALTar: Bool) -> [CommandLine] {
        var walOption: [String] = []
        if s.walMethod == "none" { walOption = s.archiveDir.map { ["-w", $0] } ?? ["-n"] }
        if verifierMajor >= 18 {
            // Tar verification in 18 cannot parse WAL inside pg_wal.tar; the archive can stand in.
            return [server.onHost([server.tool("pg_verifybackup")] + (s.archiveDir.map { ["-w", $0] } ?? ["-n"]) + [s.partial])]
        }
        var out = [server.onHost(["mkdir", "-m", "0700", "--", s.scratch]),
                   server.onHost(["tar", s.tarFlags, s.partial + "/base" + s.tarSuffix, "-C", s.scratch])]
        if hasWALTar {
            out.append(server.onHost(["tar", s.tarFlags, s.partial + "/pg_wal" + s.tarSuffix, "-C", s.scratch + "/pg_wal"]))
        }
        out.append(server.onHost([server.tool("pg_verifybackup"), "-m", s.partial + "/backup_manifest"] + walOption + [s.scratch]))
        return out
    }

    func removeScratch(_ server: PITRServer, _ s: Settings) -> CommandLine {
        server.onHost(["rm", "-rf", "--", s.scratch])
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let server = try PITRServer(call, context)
        let s = try settings(call, context)
        let c = try commands(call, server, s)
        let store = CatalogStore(server: server, directory: s.dir)
        let offsite = try offsite(call)
        if let offsite, !offsite.keepLocal { return try offsitePlanned(call, server, s, offsite) }
        var ops: [PlannedOperation] = [.command(c.facts), .command(c.absent), .command(c.makeDir)]
        ops += VolumeProbe(server: server, directory: s.dir).planned
        ops += [.command(c.basebackup),
                                       .command(c.clock), .command(c.backupLabel), .command(c.manifestTail), .command(c.listFiles)]
        if s.verify {
            ops.append(.command(c.verifierVersion))
            ops.append(.builtin("pg_verifybackup < 18 cannot read tar: extract into \(s.scratch), verify, remove it"))
            ops += verifyCommands(server, s, verifierMajor: 15, hasWALTar: s.walMethod == "stream").map { .command($0) }
            ops.append(.command(removeScratch(server, s)))
        }
        ops.append(.command(c.size))
        ops += c.rename.map { .command($0) }
        ops += [.command(store.exists), .command(store.read)]
        ops += store.writeCommands(stdinFile: "<catalog with the new backup>").map { .command($0) }
        if let offsite { ops += try offsitePlanned(call, server, s, offsite) }
        return ops
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let s = try settings(call, run.context.plan)
        let c = try commands(call, server, s)
        let store = CatalogStore(server: server, directory: s.dir)
        let offsite = try offsite(call)
        if let offsite, !offsite.keepLocal { return try await performStreamed(call, run, server, s, offsite) }

        let facts = (try await run.rows(c.facts, "reading server facts").first ?? "").split(separator: "|").map(String.init)
        guard facts.count == 4, let versionNum = Int(facts[0]), let segmentSize = Int(facts[1]) else {
            throw PITRFailure("unexpected answer from the server about its version and WAL segment size: \(facts)")
        }
        if facts[3] == "off" && s.walMethod == "none" {
            throw PITRFailure("archive_mode is off and wal_method is none: this backup could never be restored")
        }
        if try await store.load(run).record(s.id) != nil { throw PITRFailure("the catalog already has a backup \"\(s.id)\"") }
        guard try await run.attempt(c.absent, timeout: 60).succeeded else {
            throw PITRFailure("\(s.final), \(s.partial) or \(s.scratch) already exists: an earlier backup with this id (or its leftovers); choose another id or inspect and remove them")
        }
        try await run.must(c.makeDir, "creating \(s.dir)")
        try await VolumeProbe(server: server, directory: s.dir).require(run, "so a recovery (which unpacks backups in one while the server is stopped) could not read this backup")
        run.log("pg_basebackup into \(s.partial)")
        try await run.must(c.basebackup, "pg_basebackup", timeout: run.context.timeout, show: true)
        let stopClock = try await run.rows(c.clock, "reading the server clock").first ?? ""
        guard let stopTime = Instant.parseEpoch(stopClock) else { throw PITRFailure("unexpected server clock \"\(stopClock)\"") }

        let label = BackupLabel(try await run.must(c.backupLabel, "reading backup_label from the backup").stdoutString)
        let manifest = ManifestTail(try await run.must(c.manifestTail, "reading the backup manifest").stdoutString)
        guard let startLSN = label.startLSN, let startFile = label.startWALFile, let timeline = label.timeline,
              let startTime = label.startTime, let stopLSN = manifest.endLSN else {
            throw PITRFailure("backup_label or backup_manifest lacks the start/stop positions (label: \(label.raw.prefix(300)))")
        }
        let files = try await run.rows(c.listFiles, "listing the backup").sorted()
        let expected = Set(["base" + s.tarSuffix, "pg_wal" + s.tarSuffix, "backup_manifest"])
        let unexpected = files.filter { !expected.contains($0) }
        guard unexpected.isEmpty else {
            throw PITRFailure("the backup has files this runbook cannot restore (tablespaces?): \(unexpected.joined(separator: ", ")); it stays in \(s.partial)")
        }
        let hasWALTar = files.contains("pg_wal" + s.tarSuffix)

        var verification = "not verified (verify: false)"
        if s.verify {
            let versionText = try await run.must(c.verifierVersion, "pg_verifybackup --version (set bin_dir in the profile if it is not on PATH)").stdoutString
            let major = Self.majorVersion(versionText) ?? 0
            let steps = verifyCommands(server, s, verifierMajor: major, hasWALTar: hasWALTar)
            run.log("verifying with pg_verifybackup \(major)" + (major >= 18 ? "" : " on an extracted copy in \(s.scratch)"))
            var failure: PITRFailure?
            for command in steps {
                do { try await run.must(command, "verifying the backup", timeout: run.context.timeout, show: true) } catch let f as PITRFailure {
                    failure = f
                    break
                }
            }
            if major < 18 { _ = try? await run.attempt(removeScratch(server, s), timeout: 600) }
            if let failure { throw PITRFailure(failure.description + "; the unverified backup stays in \(s.partial)") }
            verification = major >= 18
                ? "pg_verifybackup \(major) on the tar files" + (s.archiveDir == nil ? " (WAL not parsed)" : " (WAL parsed from the archive)")
                : "pg_verifybackup \(major) on an extracted copy (tar support arrived in 18)"
                    + (s.walMethod == "none" && s.archiveDir == nil ? ", WAL not parsed" : ", WAL parsed")
        }
        let sizeText = try await run.must(c.size, "measuring the backup").stdoutString
        let bytes = Int(sizeText.split(whereSeparator: { $0 == "\t" || $0 == " " }).first ?? "") ?? 0
        for command in c.rename { try await run.must(command, "renaming \(s.partial) to \(s.final)") }

        let record = BaseBackupRecord(
            id: s.id, label: s.label, format: "tar", compression: s.gzip ? "gzip" : "none", files: files, walMethod: s.walMethod,
            timeline: timeline, startLSN: startLSN.description, stopLSN: stopLSN.description, startWALFile: startFile,
            startTime: startTime.iso8601, stopTime: stopTime.iso8601, walSegmentSize: segmentSize, systemIdentifier: facts[2],
            serverVersionNum: versionNum, bytes: bytes, manifestChecksum: manifest.checksum, verification: verification,
            runID: run.runID)
        // Re-read just before writing, so a catalog changed meanwhile is extended, not overwritten.
        var catalog = try await store.load(run)
        catalog.backups.append(record)
        try await store.save(catalog, run)
        run.context.audit("pitr.base-backup", ["backup_id": .string(s.id), "stop_lsn": .string(record.stopLSN), "bytes": .int(bytes)])
        var pushed: [String: Value] = [:]
        if let offsite { pushed = try await pushFinished(record, call, server, s, offsite, run) }
        return .ok("base backup \(s.id): \(bytes) bytes, \(record.startLSN)..\(record.stopLSN), \(verification)" + (offsite.map { "; pushed to \($0.location)" } ?? ""), outputs: pushed.merging([
            "backup_id": .string(s.id), "backup_path": .string(s.final), "start_lsn": .string(record.startLSN),
            "stop_lsn": .string(record.stopLSN), "start_wal_file": .string(startFile), "start_time": .string(record.startTime),
            "stop_time": .string(record.stopTime), "bytes": .int(bytes),
        ]) { $1 })
    }

    /// `pg_verifybackup (PostgreSQL) 15.18 (Debian ...)` -> 15.
    static func majorVersion(_ text: String) -> Int? {
        guard let r = text.range(of: #"\) (\d+)"#, options: .regularExpression) else { return nil }
        return Int(text[r].dropFirst(2))
    }
}

/// The fields of a `backup_label` file that a restore needs.
struct BackupLabel {
    let raw: String
    var startLSN: LSN?
    var startWALFile: String?
    var timeline: UInt32?
    var startTime: Instant?

    init(_ text: String) {
        raw = text
        for line in text.split(separator: "\n") {
            let l = String(line)
            if l.hasPrefix("START WAL LOCATION: ") {
                // START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
                let rest = l.dropFirst("START WAL LOCATION: ".count)
                startLSN = LSN(String(rest.prefix { $0 != " " }))
                if let open = rest.range(of: "(file "), let close = rest.range(of: ")", range: open.upperBound..<rest.endIndex) {
                    startWALFile = String(rest[open.upperBound..<close.lowerBound])
                }
            } else if l.hasPrefix("START TIMELINE: ") {
                timeline = UInt32(l.dropFirst("START TIMELINE: ".count).trimmingCharacters(in: .whitespaces))
            } else if l.hasPrefix("START TIME: ") {
                startTime = Instant.parse(String(l.dropFirst("START TIME: ".count)))
            }
        }
    }
}

/// The end of a backup_manifest: its WAL ranges and its own checksum.
struct ManifestTail {
    var startLSN: LSN?
    var endLSN: LSN?
    var checksum: String?

    init(_ text: String) {
        func values(_ key: String) -> [String] {
            guard let re = try? NSRegularExpression(pattern: "\"\(key)\": \"([^\"]+)\"") else { return [] }
            return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
                Range($0.range(at: 1), in: text).map { String(text[$0]) }
            }
        }
        startLSN = values("Start-LSN").first.flatMap(LSN.init)
        endLSN = values("End-LSN").last.flatMap(LSN.init)
        checksum = values("Manifest-Checksum").last
    }
}
