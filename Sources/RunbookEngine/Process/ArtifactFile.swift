import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A file a command writes through `NAME.partial`: the final name appears only
/// after the data is fsynced and every stage's exit status was checked, so a
/// failed dump can never pass for a good one (the seed's `pg_dump | gzip` bug).
///
/// The child writes into a pipe, not the file: `HashingCopier` copies it to the file and
/// hashes it on the way, so the sha256 is known when the child exits. With `staysPartial`
/// the file keeps its `.partial` name after `commit` and the caller renames it once its
/// own checks passed (a dump is read back, then renamed and recorded back to back).
final class ArtifactFile: @unchecked Sendable {
    let finalPath: String
    let partialPath: String
    let descriptor: FileDescriptor
    let staysPartial: Bool
    private var copier: HashingCopier?
    private var pipeWriter: Int32 = -1
    private(set) var copied: HashingCopier.Outcome?

    /// Creates `<path>.partial` (0600: dumps hold data), replacing a leftover from an earlier attempt.
    init(finalPath: String, staysPartial: Bool = false) throws {
        self.finalPath = finalPath
        self.partialPath = finalPath + ".partial"
        self.staysPartial = staysPartial
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

    /// A pipe whose read end is copied into the file and hashed; the child's stdout is its
    /// write end, which stays open here until `endOfOutput` (so it is closed exactly once).
    func startCopying() throws -> FileDescriptor {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw ProcessRunnerError.cannotStart("pipe: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        pipeWriter = fds[1]
        copier = HashingCopier(from: fds[0], to: descriptor.rawValue)
        return FileDescriptor(rawValue: fds[1])
    }

    /// Closes this process's write end once the child is gone, and waits for the copy to
    /// drain what is left in the pipe.
    func endOfOutput() async {
        if pipeWriter >= 0 {
            close(pipeWriter)
            pipeWriter = -1
        }
        if let copier { copied = await copier.finished() }
    }

    /// fsync, rename over the final name (unless it stays partial), then fsync the directory
    /// so the rename survives a crash.
    func commit() throws {
        defer { try? descriptor.close() }
        if let failure = copied?.failure {
            unlink(partialPath)
            throw ProcessRunnerError.outputFailed("\(partialPath): \(failure)")
        }
        // EINVAL: a FIFO (a dump streamed to the repository), which has nothing to sync.
        guard fsync(descriptor.rawValue) == 0 || errno == EINVAL else {
            let e = String(cString: strerror(errno))
            unlink(partialPath)
            throw ProcessRunnerError.outputFailed("fsync \(partialPath): \(e)")
        }
        if staysPartial { return }
        guard rename(partialPath, finalPath) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(partialPath)
            throw ProcessRunnerError.outputFailed("rename \(partialPath) to \(finalPath): \(e)")
        }
        Self.syncDirectory(of: finalPath)
    }

    /// Removes the partial file: a failed command leaves no artifact behind.
    func discard() {
        if pipeWriter >= 0 {
            close(pipeWriter)
            pipeWriter = -1
        }
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
