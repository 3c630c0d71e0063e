import Foundation

/// How a large file is cut for a multipart upload.
public enum MultipartPlan {
    /// Files at least this large go up in parts: a failed part is retried alone, and parts
    /// travel in parallel.
    public static let threshold: Int64 = 64 << 20
    /// 16 MiB parts keep a 5 GB file at about 300 parts, well under S3's 10,000.
    public static let basePartSize: Int64 = 16 << 20
    public static let maxParts: Int64 = 10_000
    /// Parts of one file in flight at once.
    public static let concurrency = 4

    public struct Part: Sendable, Equatable {
        /// 1-based, as S3 numbers parts.
        public var number: Int
        public var offset: Int64
        public var length: Int64
    }

    /// 16 MiB, or larger (in whole MiB) when 16 MiB would need more than 10,000 parts.
    public static func partSize(for size: Int64) -> Int64 {
        let mib: Int64 = 1 << 20
        let needed = (size + maxParts - 1) / maxParts
        return max(basePartSize, (needed + mib - 1) / mib * mib)
    }

    public static func parts(for size: Int64) -> [Part] {
        let partSize = partSize(for: size)
        var parts: [Part] = []
        var offset: Int64 = 0
        while offset < size {
            let length = min(partSize, size - offset)
            parts.append(Part(number: parts.count + 1, offset: offset, length: length))
            offset += length
        }
        return parts
    }
}
