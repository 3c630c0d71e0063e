import Foundation

/// The media mirror's table of names, pushed encrypted as `media/index-<time>.json`: which
/// repository object holds each object of the bucket. It is the only place the object names
/// are written; the repository's plaintext manifest lists opaque ids, sizes and sha256 only.
public struct MediaIndex: Codable, Equatable, Sendable {
    public static let formatName = "runbook-media-index"
    public static let namespace = "media"
    static let indexPrefix = namespace + "/index-"

    /// One object of the bucket.
    public struct Object: Codable, Equatable, Sendable {
        /// The object's key relative to the mirrored prefix: the user's file name.
        public var key: String
        /// The repository name holding its content, `media/<random hex>`.
        public var id: String
        public var size: Int64
        public var sha256: String
        /// The ETag the bucket had, kept so a restored local manifest matches a mirrored one.
        public var etag: String
    }

    public var format = MediaIndex.formatName
    public var version = 1
    /// Where the mirror came from (`s3://aqstream-media/`).
    public var source: String
    public var createdAt: String
    /// Sorted by key.
    public var objects: [Object]

    enum CodingKeys: String, CodingKey {
        case format, version, source, objects
        case createdAt = "created_at"
    }

    public init(source: String, objects: [Object], createdAt: Date = Date()) {
        self.source = source
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.objects = objects.sorted { $0.key < $1.key }
    }

    /// A fresh, unguessable repository name for one content: nothing of the object's key or content.
    static func newObjectID() -> String {
        namespace + "/" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// `media/index-20261204T211500123Z.json`: names sort by time, so the newest is the last.
    static func newIndexName(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmssSSS'Z'"
        return indexPrefix + formatter.string(from: date) + ".json"
    }

    static func isIndex(_ name: String) -> Bool { name.hasPrefix(indexPrefix) }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    static func decode(_ data: Data, name: String) throws -> MediaIndex {
        guard let index = try? JSONDecoder().decode(MediaIndex.self, from: data), index.format == formatName, index.version == 1 else {
            throw RepositoryError.badManifest(key: name, reason: "it is not a \(formatName) version 1")
        }
        return index
    }
}
