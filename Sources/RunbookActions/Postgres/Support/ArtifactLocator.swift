import Foundation
import RunbookCore

/// Finds an artifact and its manifest record: a path names its file (the manifest is the
/// one beside it), and `latest` picks the newest verified record of a database by the
/// manifest's finish time, never by file mtime or name.
enum ArtifactLocator {
    struct Located: Sendable {
        var path: String
        var store: ManifestStore
        /// Nil when the manifest beside the file does not know it.
        var record: DumpRecord?
    }

    struct LocateError: Error, CustomStringConvertible {
        var description: String
    }

    static let latestKeyword = "latest"

    static func latest(directory: String, database: String, kind: DumpRecord.Kind = .database) throws -> Located {
        let store = ManifestStore(directory: directory)
        let manifest = try store.read()
        guard let record = manifest.latestVerified(database: database, kind: kind) else {
            let any = manifest.artifacts.filter { $0.database == database && $0.kind == kind }
            let why = any.isEmpty ? "it has no backup of \(database)" : "none of its \(any.count) backups of \(database) is verified"
            throw LocateError(description: "no latest backup: \(store.path) \(FileManager.default.fileExists(atPath: store.path) ? why : "does not exist")")
        }
        let path = (directory as NSString).appendingPathComponent(record.path)
        guard DurableFiles.exists(path) else {
            throw LocateError(description: "the latest verified backup of \(database) in \(store.path), \(record.path) (finished \(ManifestTime.format(record.finishedAt))), is missing on disk; pass its replacement's path explicitly")
        }
        return Located(path: path, store: store, record: record)
    }

    static func at(path: String) throws -> Located {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let store = ManifestStore(directory: DurableFiles.parent(of: trimmed))
        let name = (trimmed as NSString).lastPathComponent
        return Located(path: trimmed, store: store, record: try store.read().record(named: name))
    }

    /// `from` as written: `latest` (with `directory` and `database`) or a path.
    static func locate(from: String, directory: String?, database: String) throws -> Located {
        if from == latestKeyword {
            guard let directory else {
                throw ActionInputError.invalid("backup_dir", "from: latest needs backup_dir, the directory whose manifest.json to read")
            }
            return try latest(directory: directory, database: database)
        }
        return try at(path: from)
    }
}

extension ArtifactLocator {
    /// A plan's line for `latest` as the manifest names it now.
    static func latestNow(_ located: Located) -> String {
        "latest is now \(ArtifactSummary.line(located)), as named by \(located.store.path); the run reads that manifest again when it gets here and uses what it names then (its confirmation shows which)"
    }

    /// A plan's line for `latest` when the manifest names none now (or cannot be read from here).
    static func latestUnknown(directory: String?, _ error: Error) -> String {
        let manifest = directory.map { ($0 as NSString).appendingPathComponent(DumpManifest.fileName) } ?? "the manifest"
        return "latest: the run reads \(manifest) when it gets here and uses the newest verified backup it names (its confirmation shows which); from here, now: \(error)"
    }
}

extension ArtifactLocator {
    /// Hashes the artifact and compares it with its manifest record. Returns the sha256;
    /// throws `LocateError` on a mismatch, or when there is no record and one is required.
    static func checkIntegrity(_ located: Located, requireManifest: Bool) throws -> String {
        let sha256: String
        do {
            sha256 = try DumpDigest.sha256(of: located.path)
        } catch {
            throw LocateError(description: "cannot read \(located.path): \(error)")
        }
        if let record = located.record {
            guard record.sha256 == sha256 else {
                throw LocateError(description: "refusing to restore \(located.path): its sha256 is \(sha256) but \(located.store.path) recorded \(record.sha256); the artifact changed after it was written")
            }
        } else if requireManifest {
            throw LocateError(description: "refusing to restore \(located.path): \(located.store.path) has no record of it, so its checksum cannot be checked (set require_manifest: false to restore it anyway)")
        }
        return sha256
    }
}
