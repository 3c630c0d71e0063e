import Foundation

/// One verified base backup, as recorded in `catalog.json` next to the backups.
public struct BaseBackupRecord: Codable, Sendable, Hashable {
    /// The backup's directory name under the backup directory.
    public var id: String
    public var label: String
    public var format: String
    /// `gzip` or `none`.
    public var compression: String
    /// Files in the backup directory: `base.tar[.gz]`, `pg_wal.tar[.gz]` (when WAL was streamed), `backup_manifest`.
    public var files: [String]
    /// `stream`, `fetch` or `none`: whether the WAL to make it consistent is inside the backup.
    public var walMethod: String
    public var timeline: UInt32
    public var startLSN: String
    /// The backup is consistent once WAL is replayed up to here: no recovery target may lie before it.
    public var stopLSN: String
    /// The first archived segment the backup needs (from backup_label).
    public var startWALFile: String
    public var startTime: String
    /// The server's clock read just after pg_basebackup finished: an upper bound of the true stop.
    public var stopTime: String
    public var walSegmentSize: Int
    public var systemIdentifier: String
    public var serverVersionNum: Int
    public var bytes: Int
    public var manifestChecksum: String?
    /// How the backup was verified, in words (pg_verifybackup cannot read tar before PostgreSQL 18).
    public var verification: String
    public var runID: String

    public var startLSNValue: LSN? { LSN(startLSN) }
    public var stopLSNValue: LSN? { LSN(stopLSN) }
    public var stopInstant: Instant? { Instant.parse(stopTime) }
    public var startSegment: WALSegment? { WALSegment(fileName: startWALFile, size: walSegmentSize) }

    enum CodingKeys: String, CodingKey {
        case id, label, format, compression, files, timeline, bytes, verification
        case walMethod = "wal_method"
        case startLSN = "start_lsn"
        case stopLSN = "stop_lsn"
        case startWALFile = "start_wal_file"
        case startTime = "start_time"
        case stopTime = "stop_time"
        case walSegmentSize = "wal_segment_size"
        case systemIdentifier = "system_identifier"
        case serverVersionNum = "server_version_num"
        case manifestChecksum = "manifest_checksum"
        case runID = "run_id"
    }
}

/// The base-backup catalog: `catalog.json` in the backup directory. Written only as a whole
/// (`catalog.json.partial`, fsynced, renamed), and only after a backup was verified.
public struct BaseBackupCatalog: Codable, Sendable, Hashable {
    public var version: Int
    public var backups: [BaseBackupRecord]

    public static let fileName = "catalog.json"

    public init(backups: [BaseBackupRecord] = []) {
        version = 1
        self.backups = backups
    }

    public static func decode(_ data: Data) throws -> BaseBackupCatalog {
        let catalog = try JSONDecoder().decode(BaseBackupCatalog.self, from: data)
        guard catalog.version == 1 else { throw CatalogError("catalog version \(catalog.version) is not supported (expected 1)") }
        return catalog
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public func record(_ id: String) -> BaseBackupRecord? { backups.first { $0.id == id } }

    /// The newest backup a recovery to `target` can start from:
    /// - time: the newest whose stop time is before the target (a target inside a backup's
    ///   own run is refused by PostgreSQL: "requested recovery stop point is before consistent recovery point");
    /// - LSN: the newest whose stop LSN is at or before the target;
    /// - restore point or immediate: the newest (a restore point's position is only known to
    ///   the WAL: `pitr.archive-covers` checks it lies after the backup); end of archive: the newest.
    public func newest(usableFor target: RecoveryTarget) -> BaseBackupRecord? {
        let ordered = backups.sorted { ($0.stopLSNValue ?? LSN(0), $0.stopTime) < ($1.stopLSNValue ?? LSN(0), $1.stopTime) }
        switch target {
        case .time(let t):
            return ordered.last { ($0.stopInstant.map { $0 < t }) ?? false }
        case .lsn(let l):
            return ordered.last { ($0.stopLSNValue.map { $0 <= l }) ?? false }
        case .name, .immediate, .latest:
            return ordered.last
        }
    }

    /// The oldest backup by start position: the WAL it needs is the oldest WAL anyone needs.
    public var oldest: BaseBackupRecord? {
        backups.min { ($0.startSegment?.number ?? 0, $0.startTime) < ($1.startSegment?.number ?? 0, $1.startTime) }
    }
}

public struct CatalogError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
