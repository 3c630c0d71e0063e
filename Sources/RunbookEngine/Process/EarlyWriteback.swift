import Foundation

/// Starts writing a file's pages to disk while it is still being written, every few MiB, so the
/// fsync before its rename finds little left to do: the disk works while pg_dump or the network
/// does. Used by the dump copier and by S3/repository downloads (`PartialFile`).
///
/// The page cache holds a dump's pages until the kernel's 30-second expiry: a 4-second 1 GB
/// backup wrote its whole 150 MB artifact in the final fsync, about 0.2 s here after pg_dump had
/// exited. `SYNC_FILE_RANGE_WRITE` only starts the write-out (as PostgreSQL's `*_flush_after`
/// settings do); durability still comes from that fsync, which waits for all of it. Where the
/// call is unavailable (other systems, a FIFO) nothing happens.
public struct EarlyWriteback {
    /// How much is written before its writeback is started.
    public static let step: Int64 = 8 << 20
    let descriptor: Int32
    private var started: Int64 = 0
    private var enabled = true

    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// Records that the file now holds `total` bytes; starts the writeback of what is new once a
    /// step's worth has accumulated. Errors are left to fsync to report.
    public mutating func wrote(upTo total: Int64) {
        guard enabled, total - started >= Self.step else { return }
        // ESPIPE and friends: a FIFO (a dump streamed to the repository) has no pages to write.
        guard let startWriting = Self.syncFileRange,
              startWriting(descriptor, started, total - started, Self.syncFileRangeWrite) == 0 else {
            enabled = false
            return
        }
        started = total
    }

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
