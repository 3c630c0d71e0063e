import Foundation
import RunbookEngine

/// A file being written under `<path>.partial`. Only `commit` (fsync, then rename) makes it
/// appear under its real name; anything else (`discard`, an error, a dropped object)
/// deletes it, so a half-written file never looks complete.
final class PartialFile {
    let finalPath: String
    let partialPath: String
    private var fd: Int32
    private(set) var bytesWritten: Int64 = 0
    private let writeback: EarlyWriteback
    private var committed = false

    static func partialPath(for path: String) -> String { path + ".partial" }

    /// Creates (or truncates a stale) `<path>.partial`, making parent directories as needed.
    /// `flush` is what `EarlyWriteback` runs in the background (tests make it fail).
    init(finalPath: String, flush: @escaping EarlyWriteback.Flush = EarlyWriteback.dataSync) throws {
        self.finalPath = finalPath
        self.partialPath = PartialFile.partialPath(for: finalPath)
        try LocalFiles.makeDirectories((finalPath as NSString).deletingLastPathComponent)
        fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LocalIOError(path: partialPath, operation: "create", code: errno) }
        writeback = EarlyWriteback(descriptor: fd, flush: flush)
    }

    deinit { discard() }

    /// The most one `write` call hands to the kernel. A write of a whole 4 MiB range (s3.mirror's
    /// ranged downloads) lets the kernel fill large page-cache folios, and on a VM whose balloon
    /// gives free 2 MiB blocks back to the host, each such folio is faulted in on the host as it
    /// is filled: s3.mirror down of 200 MiB took 0.80-0.94 s of CPU that way, 0.70-0.74 s in
    /// 256 KiB writes (`benchmarks/repository/README.md`).
    static let writeSlice = 256 << 10

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        for start in stride(from: 0, to: bytes.count, by: PartialFile.writeSlice) {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + PartialFile.writeSlice)])
            do {
                try LocalFiles.writeFully(fd, slice, path: partialPath)
            } catch var error as LocalIOError {
                discard()
                error.cleanup = "removed \(partialPath); nothing was put in place of \(finalPath)"
                throw error
            }
            bytesWritten += Int64(slice.count)
            writeback.wrote(upTo: bytesWritten)
        }
    }

    /// Flushes to disk and renames into place. The directory entry itself is made durable
    /// by the caller (`LocalFiles.syncDirectory`), once per directory rather than per file.
    func commit() throws {
        guard fd >= 0 else { throw LocalIOError(path: partialPath, operation: "commit (already discarded)", code: EBADF) }
        // A background flush's failure is reported here: fsync would not report it again.
        if let failed = writeback.finish() { try fail("fsync", failed) }
        // ENOSPC can surface only at fsync or close on some filesystems: check both.
        if fsync(fd) != 0 { try fail("fsync", errno) }
        let closed = close(fd)
        fd = -1
        if closed != 0 { try fail("close", errno) }
        if rename(partialPath, finalPath) != 0 { try fail("rename into place", errno) }
        committed = true
    }

    /// Closes and deletes the partial file; safe to call twice, a no-op after `commit`.
    func discard() {
        if fd >= 0 {
            _ = writeback.finish()
            close(fd)
            fd = -1
        }
        if !committed { unlink(partialPath) }
    }

    private func fail(_ operation: String, _ code: Int32) throws -> Never {
        discard()
        throw LocalIOError(path: partialPath, operation: operation, code: code,
                           cleanup: "removed \(partialPath); nothing was put in place of \(finalPath)")
    }
}
