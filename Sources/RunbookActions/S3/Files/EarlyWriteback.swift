import Foundation

/// Starts writing a file's dirty pages to disk without waiting (Linux `sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`), so that the fsync before a rename waits for the last few
/// megabytes only, not for the whole file: the disk works while the network does.
/// A hint: where the call is unavailable (other systems) nothing happens, and fsync still
/// makes the file durable.
enum EarlyWriteback {
    /// How much is written before its writeback is started.
    static let window: Int64 = 8 << 20

    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncWrite: UInt32 = 2 // SYNC_FILE_RANGE_WRITE; Glibc's Swift module does not export it

    /// Glibc declares it only with _GNU_SOURCE, which Swift's Glibc module does not set.
    private static let syncFileRange: SyncFileRange? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: SyncFileRange.self)
        #else
        return nil
        #endif
    }()

    /// Starts writeback of `length` bytes at `offset` of `fd`; errors are left to fsync to report.
    static func start(_ fd: Int32, offset: Int64, length: Int64) {
        _ = syncFileRange?(fd, offset, length, syncWrite)
    }
}
