import Foundation

/// Everything `runbook info` says and the metrics file exports: the state of every backup of a
/// profile, read from manifests, the base-backup catalog, the WAL archive's file names, the media
/// mirror's manifest and the journals. Nothing here needs the database server.
/// Ages are seconds before `generatedAt`.
public struct BackupInventory: Sendable, Codable {
    public var generatedAt: Date
    public var profile: String?
    public var locations: BackupLocations
    public var databases: [DatabaseBackups]
    public var globals: GlobalsBackups?
    public var walArchive: WALArchiveState?
    public var media: MediaMirrorState?
    public var offsite: OffsiteRepositoryState
    /// The newest run of each runbook in the state directory, by runbook name.
    public var runs: [RunSummary]
    /// Why a part could not be read (a manifest that does not parse...): shown, never fatal.
    public var problems: [String]
    /// The thresholds this inventory breaks (set by `info`), and whether there are none.
    public var breaches: [String] = []
    public var ok: Bool = true

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case profile, locations, databases, globals
        case walArchive = "wal_archive"
        case media, offsite, runs, problems, breaches, ok
    }
}

/// One dump artifact, as `info` shows it.
public struct BackupArtifact: Sendable, Codable, Equatable {
    public var path: String
    public var finishedAt: Date
    public var ageSeconds: Double
    public var sizeBytes: Int64
    public var format: String
    /// The dump's own check passed (every stage exited 0, the artifact read back, its sha256 recorded).
    public var verified: Bool

    enum CodingKeys: String, CodingKey {
        case path
        case finishedAt = "finished_at"
        case ageSeconds = "age_seconds"
        case sizeBytes = "size_bytes"
        case format, verified
    }
}

/// A restore test recorded by `postgres.record-verification` (verify-backup).
public struct RestoreTestSummary: Sendable, Codable, Equatable {
    public var artifact: String
    public var at: Date
    public var ageSeconds: Double
    public var passed: Bool
    /// How long the restore took: the RTO it demonstrates.
    public var restoreSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case artifact, at, passed
        case ageSeconds = "age_seconds"
        case restoreSeconds = "restore_seconds"
    }
}

/// One database's dumps.
public struct DatabaseBackups: Sendable, Codable {
    public var database: String
    /// The newest artifact whose dump check passed; nil when there is none.
    public var newest: BackupArtifact?
    /// Artifacts the manifest keeps for this database (verified or not).
    public var kept: Int
    /// The newest verified artifact's checksum-and-readback time (the dump's own verification).
    public var lastChecksum: Date?
    /// The newest restore test of any of its artifacts.
    public var lastRestoreTest: RestoreTestSummary?

    enum CodingKeys: String, CodingKey {
        case database, newest, kept
        case lastChecksum = "last_checksum"
        case lastRestoreTest = "last_restore_test"
    }
}

/// The roles dumps (`pg_dumpall --globals-only`).
public struct GlobalsBackups: Sendable, Codable {
    public var newest: BackupArtifact?
    public var kept: Int
}

/// The WAL archive and the base backups that start from it.
public struct WALArchiveState: Sendable, Codable {
    public var segments: Int
    public var lastSegment: String?
    /// When the newest segment was archived (its file's modification time).
    public var lastArchivedAt: Date?
    /// Seconds since then: the archive's lag as far as files can tell.
    public var lagSeconds: Double?
    /// Missing segments between the oldest and the newest of the newest timeline, first ones only.
    public var gaps: [String]
    public var baseBackups: [BaseBackupState]

    enum CodingKeys: String, CodingKey {
        case segments, gaps
        case lastSegment = "last_segment"
        case lastArchivedAt = "last_archived_at"
        case lagSeconds = "lag_seconds"
        case baseBackups = "base_backups"
    }
}

/// One base backup of the catalog and what the archive lets it reach.
public struct BaseBackupState: Sendable, Codable {
    public var id: String
    public var stoppedAt: String
    public var sizeBytes: Int
    /// The first WAL segment it needs.
    public var firstSegment: String
    /// The last segment of the unbroken run from `firstSegment`; nil when that one is missing.
    public var coveredThrough: String?
    /// Recovery can at least reach consistency from this backup and the archive.
    public var usable: Bool
    public var problem: String?

    enum CodingKeys: String, CodingKey {
        case id, usable, problem
        case stoppedAt = "stopped_at"
        case sizeBytes = "size_bytes"
        case firstSegment = "first_segment"
        case coveredThrough = "covered_through"
    }
}

extension BaseBackupState {
    /// What an archive holding `archiveNames` (segment file names, local or the repository's) lets `record` reach.
    init(_ record: BaseBackupRecord, archiveNames: [String]) {
        guard let start = record.startSegment, let stop = record.stopLSNValue else {
            self.init(id: record.id, stoppedAt: record.stopTime, sizeBytes: record.bytes, firstSegment: record.startWALFile,
                      coveredThrough: nil, usable: false, problem: "its catalog entry has no valid start segment or stop LSN")
            return
        }
        let coverage = ArchiveCoverage(names: archiveNames, start: start, stopLSN: stop)
        self.init(id: record.id, stoppedAt: record.stopTime, sizeBytes: record.bytes, firstSegment: start.fileName,
                  coveredThrough: coverage.lastContiguous?.fileName, usable: coverage.reachesConsistency, problem: coverage.problem)
    }
}

/// The media bucket's mirror on disk.
public struct MediaMirrorState: Sendable, Codable {
    public var manifest: String
    public var source: String
    public var objects: Int
    public var totalBytes: Int64
    public var createdAt: Date?
    public var ageSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case manifest, source, objects
        case totalBytes = "total_bytes"
        case createdAt = "created_at"
        case ageSeconds = "age_seconds"
    }
}

/// The newest run of one runbook.
public struct RunSummary: Sendable, Codable {
    public var runbook: String
    public var runID: String
    public var status: String
    public var startedAt: Date
    public var endedAt: Date?
    public var durationSeconds: Double
    public var rtoSeconds: Double?
    public var rtoTargetSeconds: Double?
    public var rtoMet: Bool?

    enum CodingKeys: String, CodingKey {
        case runbook, status
        case runID = "run_id"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationSeconds = "duration_seconds"
        case rtoSeconds = "rto_seconds"
        case rtoTargetSeconds = "rto_target_seconds"
        case rtoMet = "rto_met"
    }
}
