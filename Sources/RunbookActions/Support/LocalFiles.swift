import Foundation

/// Small POSIX helpers with errno turned into `LocalIOError`.
enum LocalFiles {
    /// Reads up to `count` bytes at `offset`, retrying short reads; returns fewer only at end of file.
    static func preadFully(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int, at offset: Int64, path: String) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, base + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw LocalIOError(path: path, operation: "read", code: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw LocalIOError(path: path, operation: "write", code: errno)
            }
            done += n
        }
    }

    /// Calls `body` with successive chunks of `[offset, offset+length)` of a file.
    static func forEachChunk(path: String, offset: Int64 = 0, length: Int64, chunkSize: Int = 1 << 20,
                             _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LocalIOError(path: path, operation: "open", code: errno) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        let end = offset + length
        while position < end {
            let want = Int(min(Int64(chunkSize), end - position))
            let got = try preadFully(fd, buffer, want, at: position, path: path)
            guard got == want else {
                throw LocalIOError(path: path, operation: "read (the file is shorter than when it was listed)", code: EIO)
            }
            try body(UnsafeRawBufferPointer(start: buffer, count: got))
            position += Int64(got)
        }
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws {
        if path.isEmpty { return }
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw LocalIOError(path: path, operation: "create directory", code: ENOTDIR)
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw LocalIOError(path: path, operation: "create directory", code: errno)
        }
    }

    /// Makes renames in a directory durable.
    static func syncDirectory(_ path: String) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
