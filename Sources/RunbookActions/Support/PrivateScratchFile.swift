import Foundation

/// A file only this user can read, created 0600 from the start (mkstemp), for text that must
/// reach a tool's stdin but never its argv: role statements carrying password hashes.
enum PrivateScratchFile {
    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `text` to a new file in the temporary directory and returns its path; the
    /// caller removes it.
    static func write(_ text: String, prefix: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + prefix + "-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw WriteError(description: "mkstemp: \(String(cString: strerror(errno)))") }
        let path = String(cString: template)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        } catch {
            unlink(path)
            throw WriteError(description: "\(path): \(error)")
        }
        return path
    }
}
