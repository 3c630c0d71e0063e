import Crypto
import Foundation

/// The repository's WAL archive: one immutable object per archived file,
/// `PREFIX/wal/<file name>.<plaintext sha256>.age`, written with a single PutObject.
///
/// Why not the namespace manifests `RepositoryStore` uses: a manifest rewrite per 16 MB
/// segment costs O(archive) per segment and serialises the archiver behind one JSON object.
/// S3 makes a key visible only once its PUT completed, so the key itself is the commit: a
/// segment is in the repository exactly when its key is listed, and the sha256 in the key lets
/// a retry of `archive_command` tell an identical copy (success) from a different one (refused:
/// PostgreSQL's contract forbids overwriting). The listing is by the file name's prefix, so
/// finding a segment costs one small LIST regardless of the archive's size.
public final class WALArchive: @unchecked Sendable {
    /// The largest file fetched (a segment is at most 1 GiB: `--wal-segsize`).
    public static let largestFile = 1 << 30
    public let config: RepositoryConfig
    let client: S3Client
    private let recipients: [AgeRecipient]

    /// One process archives one file: two connections are plenty (a LIST, then a PUT).
    public init(config: RepositoryConfig) throws {
        self.config = config
        recipients = try config.ageRecipients()
        client = S3Client(connection: try config.connection(), maxConnections: 2)
    }

    public func shutdown() async { await client.shutdown() }

    /// One archived file as its key describes it.
    public struct Stored: Sendable, Equatable {
        public var name: String
        public var plaintextSHA256: String
        public var key: String
        public var size: Int64
    }

    public enum PushOutcome: Sendable, Equatable {
        case stored(Stored)
        /// The same bytes were archived before (a retry after a crash): nothing written.
        case alreadyArchived(Stored)
    }

    var walPrefix: String { config.prefix + "wal/" }

    /// Archives the file at `path` under its own name (`%p`'s last component is `%f`).
    public func push(path: String) async throws -> PushOutcome {
        let name = URL(fileURLWithPath: path).lastPathComponent
        try Self.checkName(name)
        let plain: Data
        do {
            plain = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw WALArchiveError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let sha = RepositoryStore.hex(SHA256.hash(data: plain))
        let existing = try await find(name)
        if let same = existing.first(where: { $0.plaintextSHA256 == sha }) { return .alreadyArchived(same) }
        if let other = existing.first {
            throw WALArchiveError.differentCopyArchived(name: name, archived: other.plaintextSHA256, local: sha)
        }
        let sealed = try AgeEncryptor.encrypt(plain, to: recipients)
        let key = walPrefix + name + "." + sha + ".age"
        try await client.putObject(bucket: config.bucket, key: key, data: sealed, contentType: "application/octet-stream")
        return .stored(Stored(name: name, plaintextSHA256: sha, key: key, size: Int64(sealed.count)))
    }

    /// Fetches `name` into `destination` (through `destination.partial`, renamed only after the
    /// age stream authenticated and the plaintext's sha256 matched its key). False when the
    /// repository has no such file, which `restore_command` reports as "not in the archive".
    public func fetch(name: String, to destination: String, identities: [AgeIdentity]) async throws -> Bool {
        try Self.checkName(name)
        let found = try await find(name)
        guard let stored = found.first else { return false }
        guard found.count == 1 else { throw WALArchiveError.ambiguous(name: name, keys: found.map(\.key)) }
        let sealed = try await client.sendForBody(S3Request(method: .GET, bucket: config.bucket, key: stored.key,
                                                            operation: "GetObject s3://\(config.bucket)/\(stored.key)"),
                                                  limit: Self.largestFile + (1 << 20))
        var decryptor = AgeDecryptor(identities: identities)
        var plain = try decryptor.update(sealed)
        plain.append(try decryptor.finish())
        let sha = RepositoryStore.hex(SHA256.hash(data: plain))
        guard sha == stored.plaintextSHA256 else {
            throw RepositoryError.verificationFailed(name: "wal/" + name, what: "the plaintext's sha256", expected: stored.plaintextSHA256, actual: sha)
        }
        let partial = destination + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: plain, attributes: [.posixPermissions: 0o600]) else {
            throw WALArchiveError.unwritable(path: partial)
        }
        guard rename(partial, destination) == 0 else {
            unlink(partial)
            throw WALArchiveError.unwritable(path: destination)
        }
        return true
    }

    /// Opens the header of any archived file with `identities` (a range GET of 64 KiB): the
    /// up-front identity check of a recovery. Throws `empty` when nothing is archived.
    public func checkIdentities(_ identities: [AgeIdentity]) async throws {
        guard let any = try await list().first else { throw WALArchiveError.empty(config.description) }
        let request = S3Request(method: .GET, bucket: config.bucket, key: any.key, headers: [("range", "bytes=0-65535")],
                                operation: "GetObject (header) s3://\(config.bucket)/\(any.key)")
        var decryptor = AgeDecryptor(identities: identities)
        _ = try decryptor.update(try await client.sendForBody(request))
    }

    /// Whether `name` is archived (one LIST of its prefix).
    public func isArchived(_ name: String) async throws -> Bool {
        try Self.checkName(name)
        return try await !find(name).isEmpty
    }

    /// Every archived file, sorted by name.
    public func list() async throws -> [Stored] {
        try await client.listObjects(bucket: config.bucket, prefix: walPrefix).compactMap { object in
            Self.parse(key: object.key, prefix: walPrefix).map { Stored(name: $0.name, plaintextSHA256: $0.sha, key: object.key, size: object.size) }
        }.sorted { $0.name < $1.name }
    }

    /// Deletes archived files (pruning); returns what it deleted.
    public func remove(_ stored: [Stored]) async throws {
        guard !stored.isEmpty else { return }
        try await client.deleteObjects(bucket: config.bucket, keys: stored.map(\.key))
    }

    private func find(_ name: String) async throws -> [Stored] {
        try await client.listObjects(bucket: config.bucket, prefix: walPrefix + name + ".").compactMap { object in
            guard let parsed = Self.parse(key: object.key, prefix: walPrefix), parsed.name == name else { return nil }
            return Stored(name: name, plaintextSHA256: parsed.sha, key: object.key, size: object.size)
        }
    }

    /// `PREFIX/wal/NAME.SHA256.age` -> (NAME, SHA256); nil for any other key.
    static func parse(key: String, prefix: String) -> (name: String, sha: String)? {
        guard key.hasPrefix(prefix), key.hasSuffix(".age") else { return nil }
        let rest = key.dropFirst(prefix.count).dropLast(4)
        guard let dot = rest.lastIndex(of: ".") else { return nil }
        let sha = rest[rest.index(after: dot)...]
        guard sha.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        let name = String(rest[..<dot])
        guard case .other = ArchiveFile(name: name) else { return (name, String(sha)) }
        return nil
    }

    /// Only names PostgreSQL archives: they go into keys and, for fetch, come from `%f`.
    static func checkName(_ name: String) throws {
        if case .other = ArchiveFile(name: name) { throw WALArchiveError.notAWALFile(name) }
    }
}
