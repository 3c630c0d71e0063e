import Foundation
import RunbookCore

public struct MirrorOptions: Sendable {
    /// Delete what exists only at the destination (after every copy succeeded).
    public var remove: Bool
    /// Objects in flight at once.
    public var parallel: Int
    /// Where to write the manifest; an existing one there also serves as evidence of what is unchanged.
    public var manifestPath: String?

    public init(remove: Bool = false, parallel: Int = 8, manifestPath: String? = nil) {
        self.remove = remove
        self.parallel = parallel
        self.manifestPath = manifestPath
    }
}

public struct MirrorSummary: Sendable, Equatable {
    /// Objects in the source.
    public var objects: Int = 0
    public var copied: Int = 0
    public var bytesCopied: Int64 = 0
    /// Already identical at the destination.
    public var skipped: Int = 0
    public var removed: Int = 0
    public var manifestPath: String?
}

/// A mirror that stopped part way: what was done before `underlying` happened.
public struct MirrorFailure: Error, CustomStringConvertible {
    public var underlying: Error
    public var progress: MirrorSummary

    /// Cancellation stays a `CancellationError`: the caller asked for it, it is not a failure to report.
    static func wrap(_ error: Error, progress: MirrorSummary) -> Error {
        error is CancellationError ? error : MirrorFailure(underlying: error, progress: progress)
    }

    public var description: String {
        var s = "\(underlying)"
        if progress.objects > 0 {
            s += " (\(progress.copied) of \(progress.objects) objects copied before the failure; a re-run copies only what is missing)"
        }
        return s
    }
}

public struct MirrorRefusal: Error, CustomStringConvertible {
    public var description: String
}

/// `mc mirror` in both directions: list both sides, copy what differs (size, then ETag/MD5
/// or a previous manifest's SHA-256), optionally remove extras, write a manifest.
struct S3Mirror {
    let client: S3Client
    let options: MirrorOptions
    let log: @Sendable (String) -> Void
    let audit: @Sendable (String, [String: Value]) -> Void

    /// One object or file to bring over, with what the other side already has under its key.
    private struct Item: Sendable {
        var key: String
        var size: Int64
        /// The object's ETag on the S3 side (the source when downloading, the destination when uploading).
        var etag: String?
        /// The size already at the destination, if anything is there.
        var existingSize: Int64?
    }

    private struct Outcome: Sendable {
        var key: String
        var size: Int64
        var copied: Bool
        /// Nil for a download when no manifest is written: its SHA-256 was not computed.
        var entry: ManifestEntry?

        init(_ entry: ManifestEntry, copied: Bool) {
            self.init(key: entry.key, size: entry.size, copied: copied, entry: entry)
        }

        init(key: String, size: Int64, copied: Bool, entry: ManifestEntry?) {
            self.key = key
            self.size = size
            self.copied = copied
            self.entry = entry
        }
    }

    func run(from: MirrorLocation, to: MirrorLocation) async throws -> MirrorSummary {
        switch (from, to) {
        case (.bucket(let bucket, let prefix), .directory(let dir)):
            return try await download(bucket: bucket, prefix: prefix, directory: S3Mirror.absolute(dir), source: from)
        case (.directory(let dir), .bucket(let bucket, let prefix)):
            return try await upload(directory: S3Mirror.absolute(dir), bucket: bucket, prefix: prefix, source: from)
        default:
            throw ActionInputError.invalid("to", "one side of a mirror must be s3://bucket[/prefix] and the other a local directory")
        }
    }

    // MARK: - Bucket to directory

    private func download(bucket: String, prefix: String, directory: String, source: MirrorLocation) async throws -> MirrorSummary {
        let objects = try await remoteFiles(bucket: bucket, prefix: prefix)
        let problems = objects.compactMap { o in MirrorPaths.problem(withRelativeKey: o.key).map { "\"\(o.key)\" has \($0)" } }
        if let first = problems.first {
            throw MirrorRefusal(description: "\(problems.count) object(s) in \(source) cannot be written as files under \(directory), e.g. \(first); nothing was copied")
        }
        if let conflict = MirrorPaths.fileFolderConflicts(objects.map(\.key)).first {
            throw MirrorRefusal(description: "\"\(conflict)\" in \(source) is both an object and a folder of objects, which a directory cannot hold; nothing was copied")
        }
        let local = try LocalTree.scan(root: directory, exclude: manifestExclusion)
        let existing = Dictionary(local.files.map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        let sourceKeys = Set(objects.map(\.key))
        let extras = local.files.map(\.key).filter { !sourceKeys.contains($0) }
        try refuseEmptySourceRemoval(source: source, sourceCount: objects.count, extras: extras.count, destination: directory)
        try LocalFiles.makeDirectories(directory)

        let items = objects.map { Item(key: $0.key, size: $0.size, etag: $0.etag, existingSize: existing[$0.key]) }
        let hints = loadHints()
        var summary = MirrorSummary(objects: items.count)
        var entries: [ManifestEntry] = []
        var touchedDirectories = Set<String>()
        logStart(items, source: source, destination: directory)
        do {
            try await forEachConcurrently(items, limit: options.parallel) { [client] item -> Outcome in
                let path = directory + "/" + item.key
                let etag = item.etag ?? ""
                if item.existingSize == item.size {
                    let digest = try await S3Client.digest(path, size: item.size,
                                                           partSizes: ContentMatch.partSizesToTry(remoteSize: item.size, remoteETag: etag))
                    if ContentMatch.same(local: digest, remoteSize: item.size, remoteETag: etag, hint: hints[item.key]) {
                        return Outcome(ManifestEntry(key: item.key, size: item.size, etag: etag, sha256: digest.sha256), copied: false)
                    }
                }
                // Without a manifest nothing reads a SHA-256: the download is checked by size and ETag only.
                let fetched = try await client.download(bucket: bucket, key: prefix + item.key, to: path, size: item.size,
                                                        listedETag: item.etag, sha256: keepsManifest)
                return Outcome(key: item.key, size: fetched.size, copied: true, entry: fetched.sha256.map {
                    ManifestEntry(key: item.key, size: fetched.size, etag: fetched.etag, sha256: $0)
                })
            } onResult: { outcome in
                record(outcome, into: &summary, &entries)
                if outcome.copied { touchedDirectories.insert(((directory + "/" + outcome.key) as NSString).deletingLastPathComponent) }
            }
        } catch {
            throw MirrorFailure.wrap(error, progress: summary)
        }
        // The files were fsynced before their renames; this makes the renames themselves durable.
        for dir in touchedDirectories { LocalFiles.syncDirectory(dir) }

        // Partial files of keys we just mirrored are stale leftovers of an interrupted run.
        for partial in local.partials {
            let base = String(partial.dropLast(MirrorPaths.partialSuffix.count))
            if options.remove || sourceKeys.contains(base) { unlink(directory + "/" + partial) }
        }
        if options.remove {
            for key in extras {
                let path = directory + "/" + key
                guard unlink(path) == 0 || errno == ENOENT else {
                    throw MirrorFailure(underlying: LocalIOError(path: path, operation: "remove", code: errno), progress: summary)
                }
                audit("s3.mirror.removed", ["path": .string(path), "reason": .string("not in \(source)")])
                summary.removed += 1
            }
        }
        try writeManifest(entries, source: source, into: &summary)
        return summary
    }

    // MARK: - Directory to bucket

    private func upload(directory: String, bucket: String, prefix: String, source: MirrorLocation) async throws -> MirrorSummary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MirrorRefusal(description: "local directory \(directory) does not exist; nothing was copied")
        }
        let local = try LocalTree.scan(root: directory, exclude: manifestExclusion)
        if !local.ignored.isEmpty {
            log("not copying \(local.ignored.count) entries that are not regular files (symlinks, sockets...), e.g. \(local.ignored[0])")
        }
        let remote = try await remoteFiles(bucket: bucket, prefix: prefix)
        let remoteByKey = Dictionary(remote.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let sourceKeys = Set(local.files.map(\.key))
        let extras = remote.map(\.key).filter { !sourceKeys.contains($0) }
        try refuseEmptySourceRemoval(source: source, sourceCount: local.files.count, extras: extras.count,
                                     destination: "s3://\(bucket)/\(prefix)")

        let items = local.files.map { f in
            Item(key: f.key, size: f.size, etag: remoteByKey[f.key]?.etag, existingSize: remoteByKey[f.key]?.size)
        }
        let hints = loadHints()
        var summary = MirrorSummary(objects: items.count)
        var entries: [ManifestEntry] = []
        logStart(items, source: source, destination: "s3://\(bucket)/\(prefix)")
        do {
            try await forEachConcurrently(items, limit: options.parallel) { [client] item -> Outcome in
                let path = directory + "/" + item.key
                var digest: FileDigest?
                if item.existingSize == item.size, let etag = item.etag {
                    let d = try await S3Client.digest(path, size: item.size,
                                                      partSizes: ContentMatch.partSizesToTry(remoteSize: item.size, remoteETag: etag))
                    if ContentMatch.same(local: d, remoteSize: item.size, remoteETag: etag, hint: hints[item.key]) {
                        return Outcome(ManifestEntry(key: item.key, size: item.size, etag: etag, sha256: d.sha256), copied: false)
                    }
                    digest = d
                }
                let uploaded = try await client.upload(file: path, size: item.size, digest: digest, bucket: bucket, key: prefix + item.key)
                return Outcome(ManifestEntry(key: item.key, size: item.size, etag: uploaded.etag, sha256: uploaded.sha256), copied: true)
            } onResult: { record($0, into: &summary, &entries) }
            if options.remove, !extras.isEmpty {
                try await client.deleteObjects(bucket: bucket, keys: extras.map { prefix + $0 })
                for key in extras {
                    audit("s3.mirror.removed", ["object": .string("s3://\(bucket)/\(prefix)\(key)"), "reason": .string("not in \(source)")])
                }
                summary.removed = extras.count
            }
        } catch {
            throw MirrorFailure.wrap(error, progress: summary)
        }
        try writeManifest(entries, source: source, into: &summary)
        return summary
    }

    // MARK: - Shared steps

    /// The objects under the prefix with keys made relative to it; folder markers (`photos/`) are not files.
    private func remoteFiles(bucket: String, prefix: String) async throws -> [S3Object] {
        try await client.listObjects(bucket: bucket, prefix: prefix).compactMap { object in
            guard object.key.hasPrefix(prefix), !object.key.hasSuffix("/") else { return nil }
            var relative = object
            relative.key = String(object.key.dropFirst(prefix.count))
            return relative
        }
    }

    /// An empty source with `remove` would wipe the destination: exactly what a backup taken after
    /// the disaster (an emptied bucket) must never do to the last good copy.
    private func refuseEmptySourceRemoval(source: MirrorLocation, sourceCount: Int, extras: Int, destination: String) throws {
        guard options.remove, sourceCount == 0, extras > 0 else { return }
        throw MirrorRefusal(description: "refusing to mirror: the source \(source) is empty, and remove: true would delete all \(extras) entries at \(destination); nothing was changed")
    }

    private var keepsManifest: Bool { options.manifestPath != nil }

    private var manifestExclusion: Set<String> {
        guard let path = options.manifestPath else { return [] }
        let absolute = S3Mirror.absolute(path)
        return [absolute, PartialFile.partialPath(for: absolute)]
    }

    /// A previous manifest's entries; an unreadable one is ignored (it will be rewritten).
    private func loadHints() -> [String: ManifestEntry] {
        guard let path = options.manifestPath, FileManager.default.fileExists(atPath: path) else { return [:] }
        do {
            return try Manifest.load(path: path).byKey
        } catch {
            log("ignoring the existing manifest: \(error)")
            return [:]
        }
    }

    private func logStart(_ items: [Item], source: MirrorLocation, destination: String) {
        let total = items.reduce(Int64(0)) { $0 + $1.size }
        let missing = items.filter { $0.existingSize == nil }.count
        let differing = items.filter { $0.existingSize != nil && $0.existingSize != $0.size }.count
        log("mirror \(source) -> \(destination): \(items.count) objects, \(S3Mirror.bytes(total)); \(missing) missing, \(differing) of different size, \(items.count - missing - differing) to compare by checksum")
    }

    private func record(_ outcome: Outcome, into summary: inout MirrorSummary, _ entries: inout [ManifestEntry]) {
        if let entry = outcome.entry { entries.append(entry) }
        if outcome.copied {
            summary.copied += 1
            summary.bytesCopied += outcome.size
        } else {
            summary.skipped += 1
        }
        let done = summary.copied + summary.skipped
        if summary.objects >= 20, done % max(1, summary.objects / 10) == 0, done < summary.objects {
            log("\(done) of \(summary.objects) objects done (\(summary.copied) copied, \(summary.skipped) unchanged)")
        }
    }

    private func writeManifest(_ entries: [ManifestEntry], source: MirrorLocation, into summary: inout MirrorSummary) throws {
        guard let path = options.manifestPath else { return }
        do {
            try Manifest(source: source.description, objects: entries).write(to: path)
        } catch {
            throw MirrorFailure(underlying: error, progress: summary)
        }
        summary.manifestPath = path
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// "512 B", "11.6 MiB": binary units, one decimal.
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : "\(String(format: "%.1f", value)) \(units[unit])"
    }
}
