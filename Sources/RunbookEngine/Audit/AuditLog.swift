import Foundation
import RunbookCore
#if canImport(Glibc)
import Glibc
#endif

/// Appends events to the audit trail (JSON Lines, hash-chained, see `AuditChain`).
///
/// One file per state directory serves every run, also concurrent ones (different
/// runbooks hold different locks), so each append takes an exclusive `flock`,
/// reads the last line's hash if another process appended since, writes the
/// line with one `write(2)` on an `O_APPEND` descriptor, and fsyncs before
/// releasing the lock. A torn final line (power loss mid-write) is cut off and
/// the cut recorded as an `audit.repaired` event, so the chain stays verifiable.
public final class AuditLog: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var knownSize: Int64 = -1
    private var lastHash = AuditChain.genesis
    private var lastSeq = 0
    private let encoder: JSONEncoder

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AuditError("cannot open audit trail \(path): \(String(cString: strerror(errno)))") }
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit { close(fd) }

    /// Appends `event` (its `seq`, `time` and `prev` are set here) and returns its hash.
    @discardableResult
    public func append(_ event: AuditEvent) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw AuditError("cannot lock \(path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        try synchronizeTail(template: event)
        return try write(event)
    }

    private func write(_ original: AuditEvent) throws -> String {
        var event = original
        event.seq = lastSeq + 1
        event.time = Self.timestamp(Date())
        event.prev = lastHash
        let (line, hash) = AuditChain.seal(try encoder.encode(event))
        var bytes = line
        bytes.append(UInt8(ascii: "\n"))
        try Self.writeAll(fd, bytes, path: path)
        guard fsync(fd) == 0 else { throw AuditError("fsync \(path): \(String(cString: strerror(errno)))") }
        lastSeq = event.seq
        lastHash = hash
        knownSize = Self.size(fd)
        return hash
    }

    /// Brings `lastHash`/`lastSeq` up to date with the file, repairing a torn tail.
    private func synchronizeTail(template: AuditEvent) throws {
        let size = Self.size(fd)
        if size == knownSize { return }
        guard size > 0 else {
            lastHash = AuditChain.genesis
            lastSeq = 0
            knownSize = 0
            return
        }
        let tail = try Self.readTail(fd, size: size)
        if let torn = tail.torn {
            guard ftruncate(fd, off_t(size - Int64(torn.count))) == 0 else {
                throw AuditError("cannot cut torn line of \(path): \(String(cString: strerror(errno)))")
            }
            apply(lastLine: tail.lastComplete)
            var repair = template
            repair.event = "audit.repaired"
            repair.step = nil
            repair.action = nil
            repair.argv = nil
            repair.exitStatus = nil
            repair.status = nil
            repair.duration = nil
            repair.outputBytes = nil
            repair.data = ["torn_bytes": PlainValue(.int(torn.count)), "torn_sha256": PlainValue(.string(AuditChain.sha256(torn)))]
            repair.message = "removed a torn final line (\(torn.count) bytes) left by an interrupted write"
            _ = try write(repair)
        } else {
            apply(lastLine: tail.lastComplete)
            knownSize = size
        }
    }

    private func apply(lastLine: Data?) {
        guard let line = lastLine, !line.isEmpty else {
            lastHash = AuditChain.genesis
            lastSeq = 0
            return
        }
        if let (body, claimed) = AuditChain.unseal(line) {
            lastHash = claimed
            if let obj = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let seq = obj["seq"] as? Int {
                lastSeq = seq
            }
        } else {
            // Not ours (or tampered): chain to its bytes; `audit verify` will name it.
            lastHash = AuditChain.sha256(line)
        }
    }

    /// The last complete line, and the bytes after the final newline if any (a torn line).
    static func readTail(_ fd: Int32, size: Int64) throws -> (lastComplete: Data?, torn: Data?) {
        var chunk = 64 * 1024
        while true {
            let start = max(0, size - Int64(chunk))
            var buffer = [UInt8](repeating: 0, count: Int(size - start))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
            guard n == buffer.count else { throw AuditError("cannot read audit trail tail") }
            let data = Data(buffer)
            let newline = UInt8(ascii: "\n")
            var torn: Data?
            var body = data[...]
            if data.last != newline {
                guard let lastNL = data.lastIndex(of: newline) else {
                    if start == 0 { return (nil, data) }
                    chunk *= 4
                    continue
                }
                torn = Data(data[(lastNL + 1)...])
                body = data[...lastNL]
            }
            // body ends with "\n"; the last complete line is between the previous newline and that one.
            let withoutFinal = body.dropLast()
            if let prevNL = withoutFinal.lastIndex(of: newline) {
                return (Data(withoutFinal[(prevNL + 1)...]), torn)
            }
            if start == 0 { return (Data(withoutFinal), torn) }
            chunk *= 4
        }
    }

    static func writeAll(_ fd: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AuditError("cannot append to \(path): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }

    static func size(_ fd: Int32) -> Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// ISO 8601 with milliseconds, UTC: the time format of every record.
    public static func timestamp(_ date: Date) -> String {
        UTCTimestampText.format(date, milliseconds: true)
    }
}

public struct AuditError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
