import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sha256 of a whole local file, for artifacts and `file.sha256`.
///
/// It streams through `LocalFiles.forEachChunk` (pread into one reused 1 MiB buffer):
/// Foundation's `FileHandle.read(upToCount:)` issues 4 KiB reads on Linux and copies each
/// into a new `Data`, which on a multi-gigabyte dump costs real time after pg_dump has exited.
enum FileHashing {
    static func sha256(of path: String) throws -> (hex: String, bytes: Int64) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw LocalIOError(path: path, operation: "read", code: errno) }
        let size = Int64(info.st_size)
        var hasher = SHA256()
        try LocalFiles.forEachChunk(path: path, length: size) { hasher.update(bufferPointer: $0) }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }
}
