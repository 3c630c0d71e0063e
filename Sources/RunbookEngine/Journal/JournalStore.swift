import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads and atomically rewrites one run's journal.
///
/// Every write goes to `journal.json.tmp` and is renamed over the journal, so
/// after a crash or `kill -9` the journal is the last complete state, never a
/// torn one. `Durability` says how much fsync a write is worth: a step's end is
/// fsynced (`.data`), the run's start and end also fsync the directory (`.full`),
/// while "step started" (`.none`) only has to survive the death of runbook
/// itself — the audit trail holds the durable record of the start, and a step
/// whose end is not in the journal simply runs again on resume.
public final class JournalStore: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var journal: RunJournal
    private let redactor: Redactor

    public init(path: String, journal: RunJournal, redactor: Redactor) {
        self.path = path
        self.journal = journal
        self.redactor = redactor
    }

    public var current: RunJournal {
        lock.lock()
        defer { lock.unlock() }
        return journal
    }

    public enum Durability: Sendable {
        case none, data, full
    }

    /// Applies `change` and writes the journal.
    public func update(durability: Durability = .data, _ change: (inout RunJournal) -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        change(&journal)
        journal.updatedAt = Date()
        try Self.write(journal, to: path, redactor: redactor, durability: durability)
    }

    /// `pretty: false` for the journal itself (rewritten after every step), true for people.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(AuditLog.timestamp(date))
        }
        return e
    }

    public static func load(path: String) throws -> RunJournal {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JournalError("no journal at \(path)")
        }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = f.date(from: text) { return date }
            f.formatOptions = [.withInternetDateTime]
            if let date = f.date(from: text) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
        }
        do {
            return try d.decode(RunJournal.self, from: data)
        } catch {
            throw JournalError("journal \(path) is unreadable: \(error)")
        }
    }

    /// Every string field (messages, outputs, params, argv) is redacted before encoding.
    static func write(_ journal: RunJournal, to path: String, redactor: Redactor, durability: Durability) throws {
        let data = try encoder(pretty: false).encode(journal.redacted(by: redactor))
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw JournalError("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        let bytes = [UInt8](data)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                close(fd)
                throw JournalError("cannot write \(tmp): \(String(cString: strerror(errno)))")
            }
            offset += n
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
