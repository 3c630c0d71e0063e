import Foundation
import RunbookCore

/// Pushes a local media mirror (the directory and the sha256 manifest `s3.mirror` wrote) into
/// the repository without revealing names: contents the repository already holds (same
/// plaintext sha256 and size, read from the plaintext manifest, so no decryption is needed)
/// are reused, the others are uploaded under fresh random ids, then a new encrypted index is
/// pushed, and only then are the older indexes and the contents no index references removed.
struct MediaPush {
    struct Summary {
        var objects = 0
        var uploaded = 0
        var uploadedBytes: Int64 = 0
        var reused = 0
        var index = ""
        /// Repository names removed after the new index was listed.
        var removed: [String] = []
    }

    let store: RepositoryStore
    let directory: String
    let manifestPath: String
    let parallel: Int
    let log: @Sendable (String) -> Void
    let audit: @Sendable (String, [String: Value]) -> Void

    func run() async throws -> Summary {
        let local = try Manifest.load(path: manifestPath)
        let listed = try await store.entries(namespace: MediaIndex.namespace)
        var known: [String: String] = [:]
        for (name, entry) in listed where !MediaIndex.isIndex(name) {
            known[Self.contentKey(entry.plaintextSHA256, entry.plaintextSize)] = name
        }
        var summary = Summary(objects: local.objects.count)
        var objects: [MediaIndex.Object] = []
        var toPush: [RepositoryStore.FileToPush] = []
        let before = known
        for entry in local.objects {
            let content = Self.contentKey(entry.sha256, entry.size)
            if before[content] != nil {
                summary.reused += 1
            } else if known[content] == nil {
                let id = MediaIndex.newObjectID()
                known[content] = id
                toPush.append(.init(name: id, path: directory + "/" + entry.key, sha256: entry.sha256))
                summary.uploadedBytes += entry.size
            }
            objects.append(.init(key: entry.key, id: known[content] ?? "", size: entry.size, sha256: entry.sha256, etag: entry.etag))
        }
        log("media -> \(store.config): \(local.objects.count) objects, \(toPush.count) contents to upload, \(summary.reused) already there")
        try await store.pushFiles(toPush, namespace: MediaIndex.namespace, parallel: parallel)
        summary.uploaded = toPush.count

        let index = MediaIndex(source: local.source, objects: objects)
        summary.index = MediaIndex.newIndexName()
        try await store.pushData(name: summary.index, data: try index.encoded(), metadata: ["objects": String(objects.count)])

        // The new index is listed: only now may what it does not reference go.
        let referenced = Set(objects.map(\.id)).union([summary.index])
        let stale = try await store.entries(namespace: MediaIndex.namespace).keys.filter { !referenced.contains($0) }.sorted()
        let removed = try await store.remove(names: stale)
        for name in removed.keys.sorted() {
            audit("repository.media.removed", ["name": .string(name),
                                                "reason": .string(MediaIndex.isIndex(name) ? "superseded by \(summary.index)" : "no object of \(summary.index) has this content")])
        }
        summary.removed = removed.keys.sorted()
        return summary
    }

    static func contentKey(_ sha256: String, _ size: Int64) -> String { sha256 + ":" + String(size) }
}
