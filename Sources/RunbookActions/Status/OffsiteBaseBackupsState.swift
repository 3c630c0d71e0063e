import Foundation

/// The repository's base backups (namespace `base/`, one entry per file, each carrying the
/// backup's catalog record: `BaseBackupOffsite`), read from the manifest without decrypting
/// anything. Whether the repository's own WAL brings a backup to consistency comes from the
/// `wal/` listing `info` reads anyway (`ArchiveCoverage` over the segment names, as for the
/// local catalog), so it costs no extra request; nothing is fetched to check it further.
public struct OffsiteBaseBackupsState: Sendable, Codable {
    /// Backups whose every file is listed with its record: what `pitr --param source=repository` can choose.
    public var complete: Int
    /// Of those, how many the repository's WAL can bring to consistency.
    public var recoverable: Int
    /// Ids of pushes that never finished: never chosen, deleted by the next `pitr.repository-retention`.
    public var incomplete: [String]
    /// The complete backup that stopped last, and what the repository's WAL lets it reach
    /// (the same fields as a local base backup in `wal_archive.base_backups`).
    public var newest: BaseBackupState?
    /// Its `stopped_at`, parsed (for its age and the metrics).
    public var newestStoppedAt: Date?
    public var newestAgeSeconds: Double?
    /// The unbroken WAL run from the newest backup reaches the newest segment in the repository,
    /// so recovery from it can replay everything archived; false when there is a hole after it
    /// (or the newest segment is on another timeline).
    public var newestCoversNewestSegment: Bool

    enum CodingKeys: String, CodingKey {
        case complete, recoverable, incomplete, newest
        case newestStoppedAt = "newest_stopped_at"
        case newestAgeSeconds = "newest_age_seconds"
        case newestCoversNewestSegment = "newest_covers_newest_segment"
    }

    /// From the `base` namespace's entries and the repository's WAL segment names; nil when `base/` lists nothing.
    static func read(entries: [String: RepositoryManifest.Entry], walNames: [String], now: Date) -> OffsiteBaseBackupsState? {
        guard !entries.isEmpty else { return nil }
        let (catalog, incomplete) = BaseBackupOffsite.catalog(entries)
        let described = catalog.backups.map { BaseBackupState($0, archiveNames: walNames) }
        let stopped = catalog.backups.last?.stopInstant?.date
        let newestSegment = walNames.compactMap { WALSegment(fileName: $0) }.max()?.fileName
        return OffsiteBaseBackupsState(
            complete: described.count, recoverable: described.filter(\.usable).count, incomplete: incomplete,
            newest: described.last, newestStoppedAt: stopped,
            newestAgeSeconds: stopped.map { (now.timeIntervalSince($0) * 1000).rounded() / 1000 },
            newestCoversNewestSegment: described.last?.coveredThrough.map { $0 == newestSegment } ?? false)
    }
}
