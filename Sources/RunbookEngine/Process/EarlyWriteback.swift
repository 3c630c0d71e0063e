import Foundation

/// Makes a file durable while it is still being written, so the fsync before its rename finds
/// almost nothing left to do: the disk works while pg_dump or the network does. Used by the dump
/// copier and by S3/repository downloads (`PartialFile`).
///
/// Two steps, as PostgreSQL's `*_flush_after` settings and a checkpoint's final sync do:
/// - every `step`, `SYNC_FILE_RANGE_WRITE` starts writing out what is new, without waiting;
/// - every `flushStep`, `fdatasync` runs on a thread of its own (one at a time, never blocking
///   the writer), so the disk's own cache is flushed in the background too.
///
/// Starting writeback alone was not enough: the final fsync of a 200 MiB download still took
/// 0.15-0.23 s here, mostly the device flushing its cache. With the background flushes it takes
/// under 10 ms (benchmarks/repository/README.md). Durability still comes from the caller's
/// fsync, after `finish()`: a background flush's failure is kept and reported by `finish()`,
/// because Linux reports a writeback error to an open file only once, so that fsync could
/// succeed after a flush failed. Where the calls are unavailable (other systems, a FIFO),
/// nothing happens.
public final class EarlyWriteback: @unchecked Sendable {
    /// How much is written before its writeback is started.
    public static let step: Int64 = 8 << 20
    /// How much is written between two background flushes.
    public static let flushStep: Int64 = 32 << 20

    /// What a background flush runs on the descriptor; tests pass one that fails.
    public typealias Flush = @Sendable (Int32) -> Int32
    /// The flush of real files: `fdatasync`.
    public static let dataSync: Flush = { fdatasync($0) }

    let descriptor: Int32
    private let flush: Flush
    private var started: Int64 = 0
    private var flushRequestedAt: Int64 = 0
    private var enabled = true
    private let lock = NSLock()
    private let flushes = DispatchGroup()
    private var flushing = false
    private var flushFailure: Int32?
    private var completedFlushes = 0

    public init(descriptor: Int32, flush: @escaping Flush = EarlyWriteback.dataSync) {
        self.descriptor = descriptor
        self.flush = flush
    }

    /// Records that the file now holds `total` bytes; starts the writeback of what is new once a
    /// step's worth has accumulated, and a background flush once a flush step has. Called from
    /// one thread at a time (the writer's).
    public func wrote(upTo total: Int64) {
        guard enabled, total - started >= Self.step else { return }
        // ESPIPE and friends: a FIFO (a dump streamed to the repository) has no pages to write.
        guard let startWriting = Self.syncFileRange,
              startWriting(descriptor, started, total - started, Self.syncFileRangeWrite) == 0 else {
            enabled = false
            return
        }
        started = total
        if total - flushRequestedAt >= Self.flushStep, startFlush() { flushRequestedAt = total }
    }

    /// Waits for a background flush in progress; returns the errno of the first one that
    /// failed, if any. Call it before the final fsync, and before closing the descriptor (a
    /// flush must not run on a descriptor number reused by another file).
    public func finish() -> Int32? {
        flushes.wait()
        lock.lock()
        defer { lock.unlock() }
        return flushFailure
    }

    /// Background flushes that have completed, for tests.
    public var flushesCompleted: Int {
        lock.lock()
        defer { lock.unlock() }
        return completedFlushes
    }

    /// Starts a flush unless one is still running (the next step will ask again).
    private func startFlush() -> Bool {
        lock.lock()
        guard !flushing else {
            lock.unlock()
            return false
        }
        flushing = true
        lock.unlock()
        flushes.enter()
        Self.flusher.async { [self] in
            let failed = flush(descriptor) == 0 ? nil : errno
            lock.lock()
            // EINVAL: a file that cannot be synced this way; the final fsync decides.
            if let failed, failed != EINVAL, flushFailure == nil { flushFailure = failed }
            flushing = false
            completedFlushes += 1
            lock.unlock()
            flushes.leave()
        }
        return true
    }

    /// One thread for every file's flushes: they wait on the disk, not on a core, and a serial
    /// queue keeps several downloads from stacking up flushes of the same device.
    private static let flusher = DispatchQueue(label: "runbook.early-writeback.flush")

    /// glibc's `sync_file_range`, which Swift's Glibc module does not declare (it is `_GNU_SOURCE`).
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncFileRangeWrite: UInt32 = 2
    private static let syncFileRange: SyncFileRange? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: SyncFileRange.self)
        #else
        return nil
        #endif
    }()
}
