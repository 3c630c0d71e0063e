import Foundation
import RunbookCore
import RunbookEngine

/// Check `pitr.archive-receives`: archiving works end to end. It writes a transaction (so the
/// current segment is not empty), switches WAL with `pg_switch_wal()`, and waits until that
/// segment is a file in the archive directory (or listed in the repository), reporting the archiver's last failure if it
/// never arrives.
struct ArchiveReceives: PITRAction {
    let spec = ActionSpec("pitr.archive-receives", role: .check, summary: "After pg_switch_wal(), the finished segment arrives in the archive directory or the repository within a deadline.", inputs: [
        PITRServer.targetInput,
        InputSpec("archive_dir", .path, "The archive directory archive_command writes to (or give repository)."),
        InputSpec("repository", .target(.repository), "The repository `runbook wal-push` archives to (or give archive_dir)."),
        InputSpec("timeout", .duration, default: .string("60s"), "How long to wait for the segment."),
        InputSpec("interval", .duration, default: .string("250ms"), "Time between looks."),
    ], outputs: [
        OutputSpec("segment", "The segment that was switched and arrived."),
        OutputSpec("seconds", "How long it took to arrive."),
    ])

    struct Commands {
        let switchWAL: CommandLine
        /// nil for the repository: it is listed in-process.
        let lookFor: CommandLine?
        let archiver: CommandLine
    }

    func commands(_ call: ResolvedCall, _ server: PITRServer, segment: String) throws -> Commands {
        let dir = call.optionalString("archive_dir").map(ArchiveCommands.trimmed)
        guard (dir == nil) != (call.targets["repository"] == nil) else {
            throw ActionInputError.invalid("archive_dir", "give either archive_dir or repository")
        }
        return Commands(
            // txid_current() makes the transaction write a commit record: an empty segment is not switched.
            switchWAL: server.psql(["SELECT txid_current()", "SELECT pg_walfile_name(pg_switch_wal())"]),
            lookFor: dir.map { server.onHost(["test", "-f", $0 + "/" + segment]) },
            archiver: server.psql(["SELECT coalesce(last_archived_wal, '-') || ' ' || coalesce(last_failed_wal, '-') || ' ' || failed_count FROM pg_stat_archiver"]))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let c = try commands(call, try PITRServer(call, context), segment: "<segment>")
        guard let lookFor = c.lookFor else {
            let target = try call.target("repository", as: RepositoryTarget.self)
            return [.command(c.switchWAL), .builtin("poll until the segment is listed in the repository \(target.location) at \(target.endpoint):"), .command(c.archiver)]
        }
        return [.command(c.switchWAL), .builtin("poll until the segment is in the archive:"), .command(lookFor), .command(c.archiver)]
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let switched = try await run.rows(try commands(call, server, segment: "").switchWAL, "switching WAL")
        guard let segment = switched.last, segment.count == 24, segment.allSatisfy(\.isHexDigit) else {
            throw PITRFailure("pg_switch_wal() gave no segment name: \(switched)")
        }
        let c = try commands(call, server, segment: segment)
        let started = Date()
        let interval = try call.duration("interval")
        var lastArchiver = ""
        let archive = try call.targets["repository"] == nil ? nil
            : WALArchive(config: RepositoryConfig(target: call.target("repository", as: RepositoryTarget.self), secrets: run.context.secrets))
        var failure: Error?
        do {
            try await run.poll(every: interval, for: try call.duration("timeout"), "segment \(segment) to arrive in the archive") { () -> Bool? in
                if let lookFor = c.lookFor, try await run.attempt(lookFor, timeout: 30).succeeded { return true }
                if let archive, try await archive.isArchived(segment) { return true }
                if let row = try? await run.rows(c.archiver, "reading pg_stat_archiver").first { lastArchiver = row }
                return nil
            }
        } catch {
            failure = error
        }
        await archive?.shutdown()
        if let failure = failure as? PITRFailure {
            let parts = lastArchiver.split(separator: " ")
            var why = failure.description
            if parts.count == 3, parts[1] != "-" {
                why += "; the archiver has failed \(parts[2]) time(s), last on \(parts[1]): see the server log for archive_command's error"
            }
            throw PITRFailure(why)
        } else if let failure { throw failure }
        let seconds = Date().timeIntervalSince(started)
        return .ok("segment \(segment) archived in \(String(format: "%.2f", seconds))s", outputs: [
            "segment": .string(segment), "seconds": .string(String(format: "%.3f", seconds)),
        ])
    }
}
