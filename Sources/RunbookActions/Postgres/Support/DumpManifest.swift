import Foundation
import RunbookCore

/// `manifest.json` beside the backups: the record of every artifact `postgres.dump`
/// and `postgres.dump-globals` completed. "Latest" and retention are decided from
/// here, never from file names or mtimes (the seed's `find -mtime` deleted by mtime).
struct DumpManifest: Codable, Sendable, Equatable {
    static let fileName = "manifest.json"
    static let currentVersion = 1

    var version: Int = DumpManifest.currentVersion
    var artifacts: [DumpRecord] = []

    /// The record for an artifact file name (relative to the manifest's directory).
    func record(named name: String) -> DumpRecord? {
        artifacts.last { $0.path == name }
    }

    /// The newest verified artifact of `database`, by the manifest's finish time.
    func latestVerified(database: String, kind: DumpRecord.Kind = .database) -> DumpRecord? {
        artifacts.filter { $0.database == database && $0.kind == kind && $0.verified && $0.isLocal }
            .max { ($0.finishedAt, $0.path) < ($1.finishedAt, $1.path) }
    }
}

/// One completed artifact.
struct DumpRecord: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        /// One database (`pg_dump`).
        case database
        /// Roles and tablespaces (`pg_dumpall --globals-only`).
        case globals
    }

    var database: String
    var kind: Kind
    var format: DumpFormat
    /// File or directory name, relative to the manifest's directory (so the directory can move).
    var path: String
    var size: Int64
    /// sha256 of the file; for a directory archive, of its sorted `name sha256` listing (see `DumpDigest`).
    var sha256: String
    var serverVersion: String?
    var startedAt: Date
    var finishedAt: Date
    /// Exact `count(*)` per user table, keyed `schema.table` (quoted where needed).
    var rowCounts: [String: Int64]?
    /// True when the latest evidence says the artifact is good: every stage exited 0 and the
    /// artifact read back as its format; later restore tests confirm or withdraw it.
    var verified: Bool
    var runID: String?
    /// Restore tests (`postgres.record-verification`), oldest first: the RTO evidence.
    var restoreTests: [RestoreTest] = []
    /// The copy pushed to the offsite repository, when there is one.
    var offsite: OffsiteCopy?
    /// False when the artifact went only to the repository (`keep_local: false`): there is no
    /// local file, so `latest`, local retention's floor and restores never pick it here.
    var isLocal: Bool { offsite?.localCopy ?? true }

    enum CodingKeys: String, CodingKey {
        case database, kind, format, path, size, sha256
        case serverVersion = "server_version"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case rowCounts = "row_counts"
        case verified
        case runID = "run_id"
        case restoreTests = "restore_tests"
        case offsite
    }

    init(database: String, kind: Kind, format: DumpFormat, path: String, size: Int64, sha256: String,
         serverVersion: String?, startedAt: Date, finishedAt: Date, rowCounts: [String: Int64]?,
         verified: Bool, runID: String?, restoreTests: [RestoreTest] = []) {
        self.database = database
        self.kind = kind
        self.format = format
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.serverVersion = serverVersion
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.rowCounts = rowCounts
        self.verified = verified
        self.runID = runID
        self.restoreTests = restoreTests
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        database = try c.decode(String.self, forKey: .database)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .database
        format = try c.decode(DumpFormat.self, forKey: .format)
        path = try c.decode(String.self, forKey: .path)
        size = try c.decode(Int64.self, forKey: .size)
        sha256 = try c.decode(String.self, forKey: .sha256)
        serverVersion = try c.decodeIfPresent(String.self, forKey: .serverVersion)
        startedAt = try c.decode(Date.self, forKey: .startedAt)
        finishedAt = try c.decode(Date.self, forKey: .finishedAt)
        rowCounts = try c.decodeIfPresent([String: Int64].self, forKey: .rowCounts)
        verified = try c.decodeIfPresent(Bool.self, forKey: .verified) ?? false
        runID = try c.decodeIfPresent(String.self, forKey: .runID)
        restoreTests = try c.decodeIfPresent([RestoreTest].self, forKey: .restoreTests) ?? []
        offsite = try c.decodeIfPresent(OffsiteCopy.self, forKey: .offsite)
    }

    /// The record as the repository carries it (entry metadata `record`): what a restoring host
    /// writes into its own manifest once it fetched the file, so without the offsite details.
    var portable: DumpRecord {
        var copy = self
        copy.offsite = nil
        return copy
    }
}

/// Where an artifact's offsite copy is: its repository entry and the ciphertext's facts (the
/// plaintext's are the record's own `size` and `sha256`).
struct OffsiteCopy: Codable, Sendable, Equatable {
    /// The entry's name in the repository, `dumps/NAME`.
    var name: String
    /// The object's S3 key.
    var key: String
    var ciphertextSize: Int64
    var ciphertextSHA256: String
    /// False when no local file was kept.
    var localCopy: Bool

    enum CodingKeys: String, CodingKey {
        case name, key
        case ciphertextSize = "ciphertext_size"
        case ciphertextSHA256 = "ciphertext_sha256"
        case localCopy = "local_copy"
    }
}

/// One restore test of an artifact: how long the restore took (RTO evidence) and whether
/// the restored data matched the manifest.
struct RestoreTest: Codable, Sendable, Equatable {
    var at: Date
    var restoreSeconds: Double?
    var passed: Bool
    var detail: String?
    var runID: String?

    enum CodingKeys: String, CodingKey {
        case at
        case restoreSeconds = "restore_seconds"
        case passed, detail
        case runID = "run_id"
    }
}

extension DumpManifest {
    /// ISO 8601 with milliseconds, UTC: two backups in the same second still order.
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ManifestTime.format(date))
        }
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = ManifestTime.parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "\"\(text)\" is not an ISO 8601 time")
            }
            return date
        }
        return d
    }
}

/// The manifest's time format.
enum ManifestTime {
    static func format(_ date: Date) -> String {
        UTCTimestampText.format(date, milliseconds: true)
    }

    static func parse(_ text: String) -> Date? {
        if let d = UTCTimestampText.parse(text) { return d }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
