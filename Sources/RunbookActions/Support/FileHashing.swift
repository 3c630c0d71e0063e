import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sha256 of a whole local file, for artifacts, `file.sha256` and S3 uploads.
///
/// It streams through `LocalFiles.forEachChunk` (pread into one reused 1 MiB buffer):
/// Foundation's `FileHandle.read(upToCount:)` issues 4 KiB reads on Linux and copies each
/// into a new `Data`, which on a multi-gigabyte dump costs real time after pg_dump has exited.
enum FileHashing {
    /// The file as it is now.
    static func sha256(of path: String) throws -> (hex: String, bytes: Int64) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw LocalIOError(path: path, operation: "read", code: errno) }
        let size = Int64(info.st_size)
        return (try sha256(of: path, length: size), size)
    }

    /// The first `length` bytes, failing if the file has become shorter (a size from a listing).
    static func sha256(of path: String, length: Int64) throws -> String {
        var hasher = SHA256()
        try LocalFiles.forEachChunk(path: path, length: length) { hasher.update(bufferPointer: $0) }
        return hasher.finalize().hex
    }
}
