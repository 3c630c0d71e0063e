import Foundation

/// One mirrored object: its key relative to the mirrored prefix, size, ETag and SHA-256.
public struct ManifestEntry: Codable, Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var sha256: String

    public init(key: String, size: Int64, etag: String, sha256: String) {
        self.key = key
        self.size = size
        self.etag = etag
        self.sha256 = sha256
    }
}

/// The record of a mirrored set, written beside a backup so a restore can be checked
/// object by object (`s3.verify-manifest`) and a re-run can trust what is already there.
public struct Manifest: Codable, Sendable, Equatable {
    public static let formatName = "runbook-s3-manifest"

    public var format: String
    public var version: Int
    /// Where the objects came from, e.g. `s3://media/photos/` or a directory.
    public var source: String
    public var createdAt: String
    public var count: Int
    public var totalBytes: Int64
    /// Sorted by key.
    public var objects: [ManifestEntry]

    enum CodingKeys: String, CodingKey {
        case format, version, source, count, objects
        case createdAt = "created_at"
        case totalBytes = "total_bytes"
    }

    public init(source: String, objects: [ManifestEntry], createdAt: Date = Date()) {
        self.format = Manifest.formatName
        self.version = 1
        self.source = source
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.objects = objects.sorted { $0.key < $1.key }
        self.count = objects.count
        self.totalBytes = objects.reduce(0) { $0 + $1.size }
    }

    public var byKey: [String: ManifestEntry] {
        Dictionary(objects.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads and checks a manifest; a file that is not one, or contradicts itself, is an error.
    public static func load(path: String) throws -> Manifest {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ManifestError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw ManifestError(path: path, reason: "is not a runbook S3 manifest (invalid JSON or missing fields)")
        }
        guard manifest.format == formatName, manifest.version == 1 else {
            throw ManifestError(path: path, reason: "has format \"\(manifest.format)\" version \(manifest.version); expected \(formatName) version 1")
        }
        guard manifest.count == manifest.objects.count,
              manifest.totalBytes == manifest.objects.reduce(0, { $0 + $1.size }) else {
            throw ManifestError(path: path, reason: "is inconsistent: its count or total_bytes does not match its objects (edited or truncated?)")
        }
        guard Set(manifest.objects.map(\.key)).count == manifest.objects.count else {
            throw ManifestError(path: path, reason: "lists a key twice")
        }
        return manifest
    }

    /// Writes `<path>.partial`, fsyncs and renames: a crash leaves the old manifest or the new one.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self) + Data("\n".utf8)
        let file = try PartialFile(finalPath: path)
        try data.withUnsafeBytes { try file.write($0) }
        try file.commit()
        LocalFiles.syncDirectory((path as NSString).deletingLastPathComponent)
    }
}

public struct ManifestError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "manifest \(path) \(reason)" }
}
