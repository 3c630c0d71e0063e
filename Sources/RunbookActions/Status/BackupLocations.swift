import Foundation
import RunbookEngine

/// Where `runbook info` and the metrics file look for backups. The directories are runbook
/// params (`backup_dir`, `archive_dir`), so each is taken, in this order, from: the command
/// line; the params of the newest run (in the state directory) of a runbook that uses it;
/// the shipped runbooks' default. Each location says which of the three it came from.
public struct BackupLocations: Sendable, Codable, Equatable {
    /// A directory and where its value came from.
    public struct Location: Sendable, Codable, Equatable {
        public var path: String
        /// `flag`, `run <RUN_ID> of <runbook>`, or `default`.
        public var source: String
    }

    /// Dumps and their `manifest.json` (backup, backup-database, verify-backup).
    public var dumps: Location
    /// Base backups and their `catalog.json` (base-backup, pitr).
    public var baseBackups: Location
    /// The WAL archive (base-backup, pitr, wal-archiving-setup).
    public var walArchive: Location
    /// The media mirror's root: `<root>/media/manifest.json` (media-backup).
    public var media: Location

    enum CodingKeys: String, CodingKey {
        case dumps
        case baseBackups = "base_backups"
        case walArchive = "wal_archive"
        case media
    }

    /// The shipped runbooks' defaults (runbooks/backup.yaml, base-backup.yaml, wal-archiving-setup.yaml).
    public static let defaults = (dumps: "/backups/aqstream", baseBackups: "/backups/aqstream/base",
                                  walArchive: "/var/lib/postgresql/wal_archive", media: "/backups/aqstream")

    /// Which runbooks' `param` names each location, newest run first wins.
    static let sources: [(key: WritableKeyPath<BackupLocations, Location>, param: String, runbooks: Set<String>)] = [
        (\.dumps, "backup_dir", ["backup", "backup-database", "verify-backup", "restore-database"]),
        (\.baseBackups, "backup_dir", ["base-backup", "pitr"]),
        (\.walArchive, "archive_dir", ["base-backup", "pitr", "wal-archiving-setup"]),
        (\.media, "backup_dir", ["media-backup", "media-restore", "backup"]),
    ]

    /// Flags first, then the newest journal of a runbook that names the location, then the default.
    public static func resolve(dumps: String? = nil, baseBackups: String? = nil, walArchive: String? = nil, media: String? = nil,
                               journals: [RunJournal]) -> BackupLocations {
        var out = BackupLocations(dumps: Location(path: defaults.dumps, source: "default"),
                                  baseBackups: Location(path: defaults.baseBackups, source: "default"),
                                  walArchive: Location(path: defaults.walArchive, source: "default"),
                                  media: Location(path: defaults.media, source: "default"))
        let flags: [WritableKeyPath<BackupLocations, Location>: String?] = [
            \.dumps: dumps, \.baseBackups: baseBackups, \.walArchive: walArchive, \.media: media,
        ]
        let newestFirst = journals.sorted { ($0.startedAt, $0.runID) > ($1.startedAt, $1.runID) }
        for source in sources {
            if let flag = flags[source.key] ?? nil {
                out[keyPath: source.key] = Location(path: flag, source: "flag")
                continue
            }
            let run = newestFirst.first { source.runbooks.contains($0.runbook) && $0.params[source.param]?.stringValue != nil }
            if let run, let path = run.params[source.param]?.stringValue {
                out[keyPath: source.key] = Location(path: path, source: "run \(run.runID) of \(run.runbook)")
            }
        }
        return out
    }
}
