import Foundation

/// The offsite repository's part of `runbook info` and of the metrics file: the same facts as
/// the local dumps (from the records the repository keeps in each `dumps/` entry's metadata),
/// its media mirror, its WAL archive and its base backups. Read by `OffsiteRepositoryReader` with the repository's
/// access credentials only: the identity is never needed, because nothing is decrypted.
public struct OffsiteRepositoryState: Sendable, Codable {
    public var configured: Bool
    /// The profile's repository target.
    public var target: String?
    /// `s3://bucket/prefix at ENDPOINT`; never a credential.
    public var location: String?
    /// The repository answered and its manifests were read.
    public var readable: Bool
    /// Why it could not be read (unreachable, credentials rejected, a secret not available...).
    public var problem: String?
    public var databases: [DatabaseBackups]
    public var globals: GlobalsBackups?
    public var media: OffsiteMediaState?
    public var wal: OffsiteWALState?
    /// The base backups in `base/`; nil when the namespace lists nothing.
    public var baseBackups: OffsiteBaseBackupsState? = nil
    /// `dumps/` entries that carry no readable `record` (not ours, or damaged metadata).
    public var unreadableEntries: [String]
    /// For people: what this section says in one line.
    public var note: String

    enum CodingKeys: String, CodingKey {
        case configured, target, location, readable, problem, databases, globals, media, wal, note
        case unreadableEntries = "unreadable_entries"
        case baseBackups = "base_backups"
    }

    public static let notConfigured = OffsiteRepositoryState(
        configured: false, target: nil, location: nil, readable: false, problem: nil, databases: [], globals: nil,
        media: nil, wal: nil, unreadableEntries: [], note: "not configured: the profile has no repository target")

    /// A configured repository that could not be read, and why.
    static func unreadable(target: String, location: String?, problem: String) -> OffsiteRepositoryState {
        OffsiteRepositoryState(configured: true, target: target, location: location, readable: false, problem: problem,
                               databases: [], globals: nil, media: nil, wal: nil, unreadableEntries: [],
                               note: "NOT READABLE: \(problem)")
    }
}

/// The media mirror in the repository (namespace `media/`): content objects and the encrypted
/// name indexes, one per completed `media-backup` push.
public struct OffsiteMediaState: Sendable, Codable, Equatable {
    /// Content objects (indexes not counted).
    public var objects: Int
    /// Their plaintext bytes.
    public var totalBytes: Int64
    /// When the newest name index was pushed: the end of the last mirror run.
    public var lastPushAt: Date?
    public var ageSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case objects
        case totalBytes = "total_bytes"
        case lastPushAt = "last_push_at"
        case ageSeconds = "age_seconds"
    }
}

/// The repository's WAL archive (`PREFIX/wal/<segment>.<sha256>.age` keys).
public struct OffsiteWALState: Sendable, Codable, Equatable {
    /// Segment files archived (history and backup-label files not counted).
    public var segments: Int
    public var lastSegment: String?
    /// The newest segment's upload time (its object's Last-Modified).
    public var lastArchivedAt: Date?
    public var lagSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case segments
        case lastSegment = "last_segment"
        case lastArchivedAt = "last_archived_at"
        case lagSeconds = "lag_seconds"
    }
}
