import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes to a file descriptor without buffering: terminal output must appear before a
/// prompt or a crash, and a pipe's reader must see a statement as soon as it is written.
public enum RawOutput {
    /// Writes all of `text`, retrying on EINTR; stops silently if the descriptor fails.
    public static func write(_ text: String, to fd: Int32 = STDOUT_FILENO) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
