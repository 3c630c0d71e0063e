import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who holds a lock, as written in its lock file.
public struct LockHolder: Codable, Sendable, Hashable, CustomStringConvertible {
    public var runID: String
    public var pid: Int32
    public var host: String
    public var since: Date
    /// `/proc/PID/stat` start time, so a reused pid is not mistaken for the holder.
    public var processStart: UInt64?

    public init(runID: String, pid: Int32, host: String, since: Date, processStart: UInt64?) {
        self.runID = runID
        self.pid = pid
        self.host = host
        self.since = since
        self.processStart = processStart
    }

    public var description: String { "run \(runID) (pid \(pid) on \(host))" }
}

/// One named lock: `<state>/locks/<name>.lock`, held with `flock` for the life of the run.
///
/// The kernel drops a `flock` when its holder dies, even by SIGKILL, so a lock
/// can never be held by a dead process; the file's contents (holder run id and
/// pid) serve the error message. A file naming a dead pid whose lock is free is
/// a stale lock: it is taken over and the takeover reported to the caller for the audit trail.
public final class RunLock: @unchecked Sendable {
    public let name: String
    public let path: String
    private var fd: Int32 = -1

    public enum Outcome: Sendable {
        case acquired(staleHolder: LockHolder?)
        case held(by: LockHolder?)
    }

    public init(name: String, directory: String) {
        self.name = name
        let safe = name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }
        self.path = (directory as NSString).appendingPathComponent(String(safe) + ".lock")
    }

    deinit { release() }

    /// One attempt, without waiting.
    public func tryAcquire(as holder: LockHolder) throws -> Outcome {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LockError("cannot open lock \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holderNow = Self.readHolder(fd)
            close(fd)
            return .held(by: holderNow)
        }
        // A clean release empties the file, so a holder still written here died holding the lock.
        let stale = Self.readHolder(fd)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(holder)) ?? Data()
        ftruncate(fd, 0)
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.fd = fd
        return .acquired(staleHolder: stale)
    }

    /// Releases the lock and empties the file, so a later run sees no holder.
    public func release() {
        guard fd >= 0 else { return }
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    static func readHolder(_ fd: Int32) -> LockHolder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(LockHolder.self, from: Data(buffer[0..<n]))
    }
}

public struct LockError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
