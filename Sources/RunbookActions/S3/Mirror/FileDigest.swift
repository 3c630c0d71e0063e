import Crypto
import Foundation

/// SHA-256 and MD5 of one byte stream, computed together so each byte is read once.
struct ContentHasher {
    private var sha = SHA256()
    private var md5 = Insecure.MD5()

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha.update(bufferPointer: bytes)
        md5.update(bufferPointer: bytes)
    }

    func finalize() -> (sha256: String, md5: String) {
        (sha.finalize().hex, md5.finalize().hex)
    }
}

/// What we know about a local file's content after one pass over it.
public struct FileDigest: Sendable, Equatable {
    public var size: Int64
    public var sha256: String
    public var md5: String
    /// Multipart ETags (`hex-N`) for the part sizes asked for.
    public var multipartETags: [String]

    public init(size: Int64, sha256: String, md5: String, multipartETags: [String] = []) {
        self.size = size
        self.sha256 = sha256
        self.md5 = md5
        self.multipartETags = multipartETags
    }

    /// Reads the file once, computing SHA-256, MD5 and the multipart ETag for each part size.
    public static func compute(path: String, size: Int64, partSizes: [Int64] = []) throws -> FileDigest {
        var whole = ContentHasher()
        var parts = partSizes.map { PartHasher(partSize: $0) }
        try LocalFiles.forEachChunk(path: path, length: size) { chunk in
            whole.update(chunk)
            for i in parts.indices { parts[i].update(chunk) }
        }
        let (sha, md5) = whole.finalize()
        return FileDigest(size: size, sha256: sha, md5: md5, multipartETags: parts.indices.map { parts[$0].finish() })
    }

    /// The hex MD5 of a file range alone: what an upload part needs for its Content-MD5.
    static func md5(path: String, offset: Int64, size: Int64) throws -> String {
        var md5 = Insecure.MD5()
        try LocalFiles.forEachChunk(path: path, offset: offset, length: size) { md5.update(bufferPointer: $0) }
        return md5.finalize().hex
    }

    /// The hex SHA-256 of a whole file alone: what the manifest records for a multipart upload.
    static func sha256(path: String, size: Int64) throws -> String {
        try FileHashing.sha256(of: path, length: size)
    }

    /// Rebuilds one multipart ETag by cutting the stream at a fixed part size.
    private struct PartHasher {
        let partSize: Int64
        var current = Insecure.MD5()
        var filled: Int64 = 0
        var digests: [[UInt8]] = []

        init(partSize: Int64) { self.partSize = partSize }

        mutating func update(_ chunk: UnsafeRawBufferPointer) {
            var rest = chunk
            while !rest.isEmpty {
                let take = Int(min(Int64(rest.count), partSize - filled))
                current.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rest[..<take]))
                filled += Int64(take)
                rest = UnsafeRawBufferPointer(rebasing: rest[take...])
                if filled == partSize { closePart() }
            }
        }

        mutating func closePart() {
            digests.append(Array(current.finalize()))
            current = Insecure.MD5()
            filled = 0
        }

        mutating func finish() -> String {
            if filled > 0 { closePart() }
            return ETag.multipart(partDigests: digests)
        }
    }
}
