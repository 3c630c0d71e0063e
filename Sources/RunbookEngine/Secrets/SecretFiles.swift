import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Secret values written to 0600 files for tools that only read secrets from a
/// file (e.g. a password file). The files live in a 0700 directory of the run and
/// are all deleted when the run ends (`removeAll`), and on `resume` of a run that was killed.
public final class SecretFiles: @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()
    private var created: [String: String] = [:]

    public init(directory: String) {
        self.directory = directory
    }

    /// The path of a 0600 file holding `value`; the same name gives the same file.
    public func path(for name: String, value: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let existing = created[name] { return existing }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        chmod(directory, 0o700)
        let path = (directory as NSString).appendingPathComponent("\(name)-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SecretFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            unlink(path)
            throw SecretFileError(path: path, reason: "short write")
        }
        created[name] = path
        return path
    }

    /// Deletes every file and the directory.
    public func removeAll() {
        lock.lock()
        created.removeAll()
        lock.unlock()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

public struct SecretFileError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot write secret file \(path): \(reason)" }
}
