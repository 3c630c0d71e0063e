import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A file a command writes through `NAME.partial`: the final name appears only
/// after the data is fsynced and every stage's exit status was checked, so a
/// failed dump can never pass for a good one (the seed's `pg_dump | gzip` bug).
final class ArtifactFile: @unchecked Sendable {
    let finalPath: String
    let partialPath: String
    let descriptor: FileDescriptor

    /// Creates `<path>.partial` (0600: dumps hold data), replacing a leftover from an earlier attempt.
    init(finalPath: String) throws {
        self.finalPath = finalPath
        self.partialPath = finalPath + ".partial"
        let dir = (finalPath as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            throw ProcessRunnerError.cannotStart("output directory \(dir) does not exist")
        }
        do {
            descriptor = try FileDescriptor.open(FilePath(partialPath), .writeOnly,
                                                 options: [.create, .truncate, .closeOnExec],
                                                 permissions: [.ownerReadWrite])
        } catch {
            throw ProcessRunnerError.cannotStart("cannot create \(partialPath): \(error)")
        }
    }

    var size: Int {
        var st = stat()
        return fstat(descriptor.rawValue, &st) == 0 ? Int(st.st_size) : 0
    }

    /// fsync, rename over the final name, then fsync the directory so the rename survives a crash.
    func commit() throws {
        defer { try? descriptor.close() }
        guard fsync(descriptor.rawValue) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(partialPath)
            throw ProcessRunnerError.outputFailed("fsync \(partialPath): \(e)")
        }
        guard rename(partialPath, finalPath) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(partialPath)
            throw ProcessRunnerError.outputFailed("rename \(partialPath) to \(finalPath): \(e)")
        }
        Self.syncDirectory(of: finalPath)
    }

    /// Removes the partial file: a failed command leaves no artifact behind.
    func discard() {
        try? descriptor.close()
        unlink(partialPath)
    }

    static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

public enum ProcessRunnerError: Error, CustomStringConvertible, Sendable {
    case emptyCommand
    case cannotStart(String)
    case outputFailed(String)

    public var description: String {
        switch self {
        case .emptyCommand: return "empty command"
        case .cannotStart(let why): return why
        case .outputFailed(let why): return why
        }
    }
}
