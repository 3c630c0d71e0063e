import Foundation

/// The files `wal-push` and `wal-fetch` read: the repository configuration that
/// `wal-archiving-setup` writes (a `RepositoryConfig` as JSON, with the repository's S3
/// credentials) and, for fetch, the age identity file a recovery provides. Both hold secrets, so
/// both must be private to the user running the command (the server user): a file that anyone
/// else may read, or that someone else owns, is refused rather than trusted.
public enum WALCommandFiles {
    /// Reads and decodes the configuration at `path`.
    public static func loadConfig(path: String) throws -> RepositoryConfig {
        let data = try readPrivate(path, what: "repository configuration")
        do {
            return try JSONDecoder().decode(RepositoryConfig.self, from: data)
        } catch {
            throw WALArchiveError.badConfig(path: path, reason: "not a repository configuration (\(Self.reason(error)))")
        }
    }

    /// Reads the identities at `path` (an `age-keygen` file). Errors never show a key.
    public static func loadIdentities(path: String) throws -> [AgeIdentity] {
        let data = try readPrivate(path, what: "identity file")
        return try AgeIdentityFile.parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// The JSON `wal-archiving-setup` writes (the keys sorted, so a rewrite with the same
    /// settings is byte-identical and can be compared).
    public static func render(_ config: RepositoryConfig) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(config) + Data("\n".utf8)
    }

    static func readPrivate(_ path: String, what: String) throws -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw WALArchiveError.badConfig(path: path, reason: "cannot read the \(what): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw WALArchiveError.badConfig(path: path, reason: "the \(what) holds secrets but its mode is \(String(info.st_mode & 0o777, radix: 8)); it must be 0600 (chmod 600)")
        }
        guard info.st_uid == geteuid() else {
            throw WALArchiveError.badConfig(path: path, reason: "the \(what) must be owned by the user running this command (uid \(geteuid())), not uid \(info.st_uid)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WALArchiveError.badConfig(path: path, reason: "cannot read the \(what)")
        }
        return data
    }

    private static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "bad \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
        default: return "invalid JSON"
        }
    }
}

extension RepositoryConfig {
    /// The parsed recipients; a repository without one cannot encrypt anything.
    func ageRecipients() throws -> [AgeRecipient] {
        let parsed = try recipients.map { try AgeRecipient($0) }
        guard !parsed.isEmpty else { throw AgeError.misuse("a repository needs at least one recipient") }
        return parsed
    }
}
