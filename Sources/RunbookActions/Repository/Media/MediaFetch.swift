import Foundation
import RunbookCore

/// Fetches the newest media index and every object it names from the repository into a local
/// mirror directory and manifest, the layout `media-restore` uploads from. The identity is
/// checked on the index's header first; every object is decrypted through `NAME.partial` and
/// appears only after its sizes and sha256 matched, so a refused object never reaches the
/// directory, and the manifest (which the restore needs) is written only when all verified.
struct MediaFetch {
    struct Summary {
        var index = ""
        var objects = 0
        var fetched = 0
        var fetchedBytes: Int64 = 0
        var unchanged = 0
    }

    let store: RepositoryStore
    let identities: [AgeIdentity]
    let directory: String
    let manifestPath: String
    let parallel: Int
    let log: @Sendable (String) -> Void

    func run() async throws -> Summary {
        let listed = try await store.entries(namespace: MediaIndex.namespace)
        guard let indexName = listed.keys.filter(MediaIndex.isIndex).max() else {
            throw MediaRepositoryError("the repository \(store.config) has no media index: media was never pushed there (media-backup --param offsite=true)")
        }
        try await store.checkIdentities(identities, against: indexName)
        let index = try MediaIndex.decode(try await store.pullData(name: indexName, identities: identities), name: indexName)
        // Everything is checked before the first download: a missing content, a contradiction
        // between the index and the manifest, or a key that cannot be a file.
        for object in index.objects {
            if let problem = MirrorPaths.problem(withRelativeKey: object.key) {
                throw MediaRepositoryError("\(indexName) names an object that cannot be a file under \(directory): it has \(problem)")
            }
            guard let entry = listed[object.id] else { throw RepositoryError.notInManifest(name: object.id) }
            try RepositoryStore.verify(object.id, "the plaintext's sha256 in \(indexName)", entry.plaintextSHA256, object.sha256)
        }
        log("\(indexName): \(index.objects.count) objects from \(store.config) -> \(directory)")
        var summary = Summary(index: indexName, objects: index.objects.count)
        try LocalFiles.makeDirectories(directory)
        try await forEachConcurrently(index.objects, limit: parallel) { [store, identities, directory] object -> Int64? in
            guard let entry = listed[object.id] else { throw RepositoryError.notInManifest(name: object.id) }
            let path = directory + "/" + object.key
            // A file already there with this content (an earlier, interrupted fetch) is kept.
            if (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) == object.size,
               (try? FileDigest.sha256(path: path, size: object.size)) == object.sha256 {
                return nil
            }
            try LocalFiles.makeDirectories((path as NSString).deletingLastPathComponent)
            try await store.pull(name: object.id, entry: entry, to: path, identities: identities)
            return object.size
        } onResult: { fetched in
            if let bytes = fetched {
                summary.fetched += 1
                summary.fetchedBytes += bytes
            } else {
                summary.unchanged += 1
            }
        }
        let entries = index.objects.map { ManifestEntry(key: $0.key, size: $0.size, etag: $0.etag, sha256: $0.sha256) }
        try Manifest(source: index.source, objects: entries).write(to: manifestPath)
        return summary
    }
}

/// A media push or fetch that cannot go on, with the reason.
struct MediaRepositoryError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
