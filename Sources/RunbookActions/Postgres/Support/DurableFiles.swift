import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file operations behind "an artifact is written to NAME.partial, fsynced and
/// renamed": durability (fsync of files and of the directory holding the new name),
/// atomic renames, and removal of what a failed dump left.
enum DurableFiles {
    struct FileError: Error, CustomStringConvertible {
        var description: String
        init(_ operation: String, _ path: String, errno code: Int32 = errno) {
            description = "\(operation) \(path): \(String(cString: strerror(code)))"
        }
        init(_ description: String) { self.description = description }
    }

    /// fsyncs a file, or a directory and every file below it.
    static func sync(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw FileError("fsync", path, errno: ENOENT) }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path)
            for name in names { try sync((path as NSString).appendingPathComponent(name)) }
        }
        try syncOne(path)
    }

    static func syncOne(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError("fsync", path) }
    }

    /// Renames within one directory and fsyncs that directory, so the new name survives a crash.
    static func rename(_ from: String, to: String) throws {
        try renameUnsynced(from, to: to)
        try syncOne(parent(of: to))
    }

    /// Renames without the directory fsync, for a caller that makes it durable together with
    /// the next rename in the same directory (see `ManifestStore.update(_:justBefore:)`).
    static func renameUnsynced(_ from: String, to: String) throws {
        guard posixRename(from, to) == 0 else { throw FileError("rename \(from) to", to) }
    }

    private static func posixRename(_ from: String, _ to: String) -> Int32 {
        #if canImport(Glibc)
        return Glibc.rename(from, to)
        #else
        return Darwin.rename(from, to)
        #endif
    }

    /// Writes `data` to `path` (0644, truncating) and fsyncs it.
    static func writeAndSync(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError("open", path) }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError("write", path)
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw FileError("fsync", path) }
    }

    /// Removes a file or directory tree if present; true when something was removed.
    @discardableResult
    static func remove(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        // fileExists follows symlinks; lstat-like check via attributesOfItem catches dangling links too.
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            || (try? FileManager.default.attributesOfItem(atPath: path)) != nil
        guard exists else { return false }
        return (try? FileManager.default.removeItem(atPath: path)) != nil
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Size in bytes of a file, or of every file below a directory.
    static func size(_ path: String) throws -> Int64 {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw FileError("stat", path, errno: ENOENT) }
        if !isDirectory.boolValue {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }
        var total: Int64 = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: path) {
            total += try size((path as NSString).appendingPathComponent(name))
        }
        return total
    }

    static func parent(of path: String) -> String {
        let p = (path as NSString).deletingLastPathComponent
        return p.isEmpty ? "." : p
    }

    /// The last `count` bytes of a file (fewer if it is shorter).
    static func tail(of path: String, count: Int) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError("open", path) }
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        try handle.seek(toOffset: end > UInt64(count) ? end - UInt64(count) : 0)
        return try handle.readToEnd() ?? Data()
    }
}
