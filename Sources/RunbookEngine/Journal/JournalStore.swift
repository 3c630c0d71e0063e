import Foundation
import RunbookCore
#if canImport(Glibc)
import Glibc
#endif

/// One run's journal: a snapshot (`journal.json`) plus a log of step records
/// (`journal.log`, JSON Lines) appended after every step.
///
/// Appending one line per step keeps each step's write O(1) however long the
/// run; rewriting the whole document after every step made long runs quadratic.
/// Reading replays the log over the snapshot (each line is a step's full record,
/// so replay is idempotent) and ignores a torn last line. The snapshot is
/// rewritten atomically (`.tmp` + fsync + rename) at run start and end, and the
/// log is then emptied.
///
/// `Durability` says how much fsync a write is worth: a step's end is fsynced
/// (`.data`), the snapshot also fsyncs the directory (`.full`), while "step
/// started" (`.none`) only has to survive the death of runbook itself (the page
/// cache survives SIGKILL): a step whose end is not in the journal runs again on resume.
public final class JournalStore: @unchecked Sendable {
    public let path: String
    public var logPath: String { Self.logPath(for: path) }
    private let lock = NSLock()
    private var journal: RunJournal
    private var index: [String: Int] = [:]
    private let redactor: Redactor
    private var logFD: Int32 = -1
    private let lineEncoder = JournalStore.encoder(pretty: false)

    public init(path: String, journal: RunJournal, redactor: Redactor) {
        self.path = path
        self.journal = journal
        self.redactor = redactor
        reindex()
    }

    deinit { if logFD >= 0 { close(logFD) } }

    public var current: RunJournal {
        lock.lock()
        defer { lock.unlock() }
        return journal
    }

    public enum Durability: Sendable {
        case none, data, full
    }

    /// Applies `change` to the whole journal and writes a new snapshot (the log is emptied).
    public func update(durability: Durability = .full, _ change: (inout RunJournal) -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        change(&journal)
        journal.updatedAt = Date()
        reindex()
        try Self.writeSnapshot(journal, to: path, redactor: redactor, durability: durability)
        if logFD >= 0 { close(logFD); logFD = -1 }
        unlink(logPath)
    }

    /// Applies `change` to one step's record (created if new) and appends it to the log.
    public func updateStep(_ stepPath: String, action: String?, durability: Durability = .data,
                           _ change: (inout StepRecord) -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        let i: Int
        if let existing = index[stepPath] {
            i = existing
        } else {
            journal.steps.append(StepRecord(path: stepPath, action: action))
            i = journal.steps.count - 1
            index[stepPath] = i
        }
        change(&journal.steps[i])
        journal.updatedAt = Date()
        try appendLine(journal.steps[i], durability: durability)
    }

    private func reindex() {
        index = [:]
        for (i, s) in journal.steps.enumerated() { index[s.path] = i }
    }

    private func appendLine(_ record: StepRecord, durability: Durability) throws {
        if logFD < 0 {
            logFD = open(logPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard logFD >= 0 else { throw JournalError("cannot write \(logPath): \(String(cString: strerror(errno)))") }
        }
        var data = try lineEncoder.encode(LogLine(step: record.redacted(by: redactor)))
        data.append(UInt8(ascii: "\n"))
        try AuditLog.writeAll(logFD, data, path: logPath)
        if durability != .none && fsync(logFD) != 0 {
            throw JournalError("fsync \(logPath): \(String(cString: strerror(errno)))")
        }
    }

    /// One line of the log.
    struct LogLine: Codable {
        var step: StepRecord
    }

    // MARK: - Reading

    static func logPath(for snapshotPath: String) -> String {
        ((snapshotPath as NSString).deletingPathExtension) + ".log"
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = UTCTimestampText.parse(text) { return date }
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = f.date(from: text) { return date }
            f.formatOptions = [.withInternetDateTime]
            if let date = f.date(from: text) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
        }
        return d
    }

    /// The snapshot with the log replayed over it.
    public static func load(path: String) throws -> RunJournal {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JournalError("no journal at \(path)")
        }
        let d = decoder()
        var journal: RunJournal
        do {
            journal = try d.decode(RunJournal.self, from: data)
        } catch {
            throw JournalError("journal \(path) is unreadable: \(error)")
        }
        guard let log = FileManager.default.contents(atPath: logPath(for: path)), !log.isEmpty else { return journal }
        var index: [String: Int] = [:]
        for (i, s) in journal.steps.enumerated() { index[s.path] = i }
        for line in log.split(separator: UInt8(ascii: "\n")) {
            // A torn last line (runbook killed mid-write) does not decode and is skipped.
            guard let entry = try? d.decode(LogLine.self, from: Data(line)) else { continue }
            if let i = index[entry.step.path] {
                journal.steps[i] = entry.step
            } else {
                index[entry.step.path] = journal.steps.count
                journal.steps.append(entry.step)
            }
            if let ended = entry.step.endedAt ?? entry.step.startedAt, ended > journal.updatedAt { journal.updatedAt = ended }
        }
        return journal
    }

    /// `pretty: false` for the journal's own files, true for people.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(AuditLog.timestamp(date))
        }
        return e
    }

    // MARK: - Writing the snapshot

    /// Every string field (messages, outputs, params, argv) is redacted before encoding.
    static func writeSnapshot(_ journal: RunJournal, to path: String, redactor: Redactor, durability: Durability) throws {
        let data = try encoder(pretty: false).encode(journal.redacted(by: redactor))
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw JournalError("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        do {
            try AuditLog.writeAll(fd, data, path: tmp)
        } catch {
            close(fd)
            throw error
        }
        if durability != .none && fsync(fd) != 0 {
            close(fd)
            throw JournalError("fsync \(tmp): \(String(cString: strerror(errno)))")
        }
        close(fd)
        guard rename(tmp, path) == 0 else { throw JournalError("rename \(tmp): \(String(cString: strerror(errno)))") }
        if durability == .full { ArtifactFile.syncDirectory(of: path) }
    }
}

public struct JournalError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
