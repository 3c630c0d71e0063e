import Foundation

/// The locks one run holds: its runbook's name plus every `locks:` name (and, for
/// nested `runbook.run`, the child's). Taken in sorted order so two waiting runs cannot deadlock.
public final class LockSet: @unchecked Sendable {
    public let directory: String
    public let holder: LockHolder
    private let lockQueue = NSLock()
    private var held: [String: RunLock] = [:]
    /// Parallel loop items of one run may take the same nested runbook's lock at once: a second
    /// `flock` from this process would fail against the first, so they take turns, and the later
    /// one finds the name already held by its own run.
    private let acquiring = AsyncMutex()

    public init(directory: String, holder: LockHolder) {
        self.directory = directory
        self.holder = holder
    }

    public struct Busy: Error, CustomStringConvertible {
        public var name: String
        public var holder: LockHolder?
        public var waited: Double?
        public var description: String {
            let who = holder.map { "\($0), since \(ISO8601DateFormatter().string(from: $0.since))" } ?? "another process"
            let wait = waited.map { " after waiting \(Int($0))s" } ?? ""
            return "lock \"\(name)\" is held by \(who)\(wait); wait for it to finish, or pass --wait-lock DURATION"
        }
    }

    /// Acquires every name not yet held; `wait` seconds of patience (nil: fail at once).
    /// Returns the stale holders that were taken over, for the audit trail.
    public func acquire(_ names: [String], wait: Double?, giveUp: (@Sendable () -> Bool)? = nil) async throws -> [(String, LockHolder)] {
        try await acquiring.withLock { try await acquireInTurn(names, wait: wait, giveUp: giveUp) }
    }

    private func acquireInTurn(_ names: [String], wait: Double?, giveUp: (@Sendable () -> Bool)?) async throws -> [(String, LockHolder)] {
        var takeovers: [(String, LockHolder)] = []
        let deadline = wait.map { Date().addingTimeInterval($0) }
        for name in Set(names).sorted() where !isHeld(name) {
            let lock = RunLock(name: name, directory: directory)
            while true {
                switch try lock.tryAcquire(as: holder) {
                case .acquired(let stale):
                    lockQueue.withLock { held[name] = lock }
                    if let stale { takeovers.append((name, stale)) }
                case .held(let by):
                    if let deadline, Date() < deadline, !Task.isCancelled, !(giveUp?() ?? false) {
                        try? await Task.sleep(nanoseconds: 100_000_000)
                        continue
                    }
                    throw Busy(name: name, holder: by, waited: wait)
                }
                break
            }
        }
        return takeovers
    }

    public func isHeld(_ name: String) -> Bool {
        lockQueue.lock()
        defer { lockQueue.unlock() }
        return held[name] != nil
    }

    public func releaseAll() {
        lockQueue.lock()
        let locks = held.values
        held.removeAll()
        lockQueue.unlock()
        for lock in locks { lock.release() }
    }
}
