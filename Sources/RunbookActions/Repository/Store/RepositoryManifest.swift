import Foundation

/// The repository's table of contents, `PREFIX/manifest.json`: an object exists in the
/// repository only once this lists it. Written last by every push.
public struct RepositoryManifest: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        /// The S3 key of the age file.
        public var key: String
        public var plaintextSize: Int64
        public var plaintextSHA256: String
        public var ciphertextSize: Int64
        public var ciphertextSHA256: String
        public var pushedAt: String
        /// What the pusher knows about the object (database, format, row counts, ...), kept in
        /// plaintext so a host that can only encrypt can still choose, prune and verify.
        /// Visible to whoever can read the bucket: never put a secret or a user's data here.
        public var metadata: [String: String]?
    }

    public var version = 1
    public var objects: [String: Entry] = [:]

    public init() {}

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
