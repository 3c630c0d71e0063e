import Foundation
import RunbookCore
import RunbookEngine
#if canImport(Glibc)
import Glibc
#endif

/// Row counts that describe exactly what pg_dump wrote.
///
/// A psql session opens a REPEATABLE READ transaction and exports its snapshot
/// (`pg_export_snapshot()`); pg_dump dumps in that snapshot (`--snapshot`), and the same
/// session counts rows in it while pg_dump runs. Counted in a snapshot of their own, the
/// counts would disagree with the dump of any database that is being written to, and the
/// monthly verification would then fail a good backup (or learn to be ignored).
///
/// The session reads its script from a FIFO, so runbook can hand it the next statement when
/// the time comes, and it works the same through `docker compose exec -T` (which forwards
/// stdin). The transaction stays open until pg_dump has exited: an exported snapshot can be
/// imported only while its transaction is open. If runbook dies, the FIFO's writer closes,
/// psql reads EOF and the read-only transaction rolls back.
enum SharedSnapshot {
    /// What pg_dump's `--snapshot=` holds in a plan, before a snapshot exists.
    static let placeholder = "--snapshot=<exported by the counting psql session>"
    static let marker = "runbook-snapshot:"

    /// psql reading statements from stdin; with `-A -t` each answer is one bare line.
    static func session(_ endpoint: PostgresEndpoint, database: String, fifo: String = "<statements from runbook>") -> CommandLine {
        endpoint.command("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t"], database: database, stdinFile: fifo)
    }

    static let opening = """
        BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
        SELECT '\(marker)' || pg_export_snapshot();

        """

    /// The count, in the exported snapshot; no parallel workers, as it runs beside pg_dump.
    static var counting: String {
        "SET LOCAL max_parallel_workers_per_gather = 0;\n" + TableStatistics.query(.rowCounts) + ";\n"
    }

    /// `command` with the placeholder replaced by the real snapshot.
    static func using(_ snapshot: String, in command: CommandLine) -> CommandLine {
        var c = command
        // Over ssh the placeholder is a quoted word inside the remote shell text.
        let quoted = ShellQuote.quote(placeholder)
        c.argv = c.argv.map { $0 == placeholder ? "--snapshot=" + snapshot : $0.replacingOccurrences(of: quoted, with: "--snapshot=" + snapshot) }
        c.remoteArgv = c.remoteArgv?.map { $0 == placeholder ? "--snapshot=" + snapshot : $0 }
        return c
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        var exitStatus: Int32?
    }

    /// Runs `body` with the snapshot's id while the session counts rows in it, then ends the
    /// session and returns both results. The counts are a failure if the session failed.
    static func withSnapshot<T: Sendable>(
        _ endpoint: PostgresEndpoint, database: String, in context: RunContext,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> (T, Result<TableStatistics.Snapshot, Failure>) {
        let fifo = try Fifo()
        defer { fifo.remove() }
        let command = session(endpoint, database: database, fifo: fifo.path)
        let lines = LineWatch(marker: marker)
        async let finished: ProcessResult = {
            defer { lines.close() }
            return try await context.processes.run(command, environment: context.environment(for: command),
                                                   timeout: context.timeout, onOutput: { lines.add($0) })
        }()
        fifo.write(opening)
        guard let snapshot = await lines.first() else {
            fifo.close()
            let result = try await finished
            throw Failure(description: "cannot export a snapshot for pg_dump and the row counts: "
                              + PostgresExecution.failure(command, result), exitStatus: result.status.code)
        }
        fifo.write(counting)
        let value: T
        do {
            value = try await body(snapshot)
        } catch {
            fifo.close()
            _ = try? await finished
            throw error
        }
        fifo.write("COMMIT;\n")
        fifo.close()
        let result = try await finished
        guard result.succeeded else {
            return (value, .failure(Failure(description: "the dump finished but counting its rows failed: "
                                                + PostgresExecution.failure(command, result), exitStatus: result.status.code)))
        }
        let answer = result.stdoutString.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        do {
            return (value, .success(try TableStatistics.parse(answer)))
        } catch {
            return (value, .failure(Failure(description: "\(error)")))
        }
    }
}

/// The first line a process prints that starts with a marker, for awaiting it.
private final class LineWatch: @unchecked Sendable {
    private let marker: String
    private let lock = NSLock()
    private var value: String?
    private var closed = false
    private var waiter: CheckedContinuation<String?, Never>?

    init(marker: String) { self.marker = marker }

    func add(_ line: String) {
        lock.lock()
        guard value == nil, line.hasPrefix(marker) else { return lock.unlock() }
        value = String(line.dropFirst(marker.count))
        let waiting = waiter
        waiter = nil
        lock.unlock()
        waiting?.resume(returning: value)
    }

    func close() {
        lock.lock()
        closed = true
        let waiting = waiter
        waiter = nil
        lock.unlock()
        waiting?.resume(returning: value)
    }

    /// The rest of the marked line; nil if the process ended without printing one.
    func first() async -> String? {
        await withCheckedContinuation { continuation in
            lock.lock()
            if value != nil || closed {
                let found = value
                lock.unlock()
                continuation.resume(returning: found)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}

/// A named pipe in a private directory, held open for writing by runbook.
///
/// Opened read-write, so opening it does not wait for a reader, and the reader sees EOF only
/// when runbook closes it (or dies).
private final class Fifo: @unchecked Sendable {
    let path: String
    private let directory: String
    private let lock = NSLock()
    private var descriptor: Int32

    init() throws {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("runbook-snapshot-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SharedSnapshot.Failure(description: "cannot create a private directory for the snapshot session: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        path = (directory as NSString).appendingPathComponent("statements")
        guard mkfifo(path, 0o600) == 0 else {
            let why = String(cString: strerror(errno))
            rmdir(directory)
            throw SharedSnapshot.Failure(description: "cannot create \(path): \(why)")
        }
        descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            let why = String(cString: strerror(errno))
            unlink(path)
            rmdir(directory)
            throw SharedSnapshot.Failure(description: "cannot open \(path): \(why)")
        }
    }

    /// Statements are a few hundred bytes, far below the pipe's buffer, so this never blocks.
    func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if descriptor >= 0 { RawOutput.write(text, to: descriptor) }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    func remove() {
        close()
        unlink(path)
        rmdir(directory)
    }
}
