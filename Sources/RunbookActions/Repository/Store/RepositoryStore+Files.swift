import Crypto
import Foundation

extension RepositoryStore {
    /// One local file for `pushFiles`.
    public struct FileToPush: Sendable {
        /// The repository name, `NAMESPACE/...`.
        public var name: String
        public var path: String
        /// The plaintext sha256 the caller expects; a file that no longer has it is refused.
        public var sha256: String

        public init(name: String, path: String, sha256: String) {
            self.name = name
            self.path = path
            self.sha256 = sha256
        }
    }

    /// Pushes many files into one namespace, at most `parallel` at once, listing them in the
    /// namespace's manifest in groups: every `listEvery` objects or `listInterval` seconds,
    /// whichever comes first (one manifest rewrite per group, not per object: with thousands of
    /// small media objects, per-object rewrites cost O(n²); an interrupted call loses at most
    /// one group's uploads, which the next push removes as leftovers and uploads again).
    ///
    /// The rules of `push` hold: an object exists only once the manifest lists it; until then
    /// its key is marked in flight, so `removeLeftovers` leaves it alone; an interrupted call
    /// leaves unlisted objects that the next push removes, and what was listed stays listed.
    /// On failure, what completed is listed before the error is rethrown, so a re-run resumes.
    /// Files below the part size are encrypted in memory and sent in one PUT.
    @discardableResult
    public func pushFiles(_ files: [FileToPush], namespace: String, parallel: Int, listEvery: Int = 2_000,
                          listInterval: TimeInterval = 10) async throws -> [String: Pushed] {
        try await removeLeftovers(namespace: namespace)
        let recipients = try config.recipients.map { try AgeRecipient($0) }
        // The store's own client keeps few connections (it streams a few large objects); many
        // small PUTs are bound by round trips, so they get a pool as wide as `parallel`.
        let uploader = S3Client(connection: try config.connection(), maxConnections: max(1, parallel))
        var unlisted: [(name: String, entry: Pushed)] = []
        var listed: [String: Pushed] = [:]
        func list() async throws {
            guard !unlisted.isEmpty else { return }
            let group = unlisted
            try await updateManifest(namespace: namespace) { manifest in
                for item in group { manifest.objects[item.name] = item.entry }
            }
            unlisted.removeAll()
            for item in group {
                RepositoryWriters.shared.end(item.entry.key)
                listed[item.name] = item.entry
            }
        }
        do {
            try await withThrowingTaskGroup(of: (String, Pushed).self) { group in
                var next = files.makeIterator()
                for _ in 0..<max(1, parallel) {
                    guard let file = next.next() else { break }
                    group.addTask { (file.name, try await self.pushFile(file, namespace: namespace, recipients: recipients, uploader: uploader)) }
                }
                var lastListed = Date()
                while let (name, entry) = try await group.next() {
                    unlisted.append((name, entry))
                    // The next upload starts before the manifest write, which then overlaps the uploads.
                    if let file = next.next() {
                        group.addTask { (file.name, try await self.pushFile(file, namespace: namespace, recipients: recipients, uploader: uploader)) }
                    }
                    if unlisted.count >= listEvery || Date().timeIntervalSince(lastListed) >= listInterval {
                        try await list()
                        lastListed = Date()
                    }
                }
            }
            try await list()
        } catch {
            await uploader.shutdown()
            try? await list()
            for item in unlisted { RepositoryWriters.shared.end(item.entry.key) }
            throw error
        }
        await uploader.shutdown()
        return listed
    }

    /// Uploads one file unlisted (its key left marked in flight for `pushFiles` to list), or,
    /// when it is large, pushes it whole with `push` (streamed, multipart, listed at once).
    private func pushFile(_ file: FileToPush, namespace: String, recipients: [AgeRecipient], uploader: S3Client) async throws -> Pushed {
        guard try Self.namespace(of: file.name) == namespace else { throw RepositoryError.badName(file.name) }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? nil
        if let size, size >= Int64(Self.partSize) {
            guard let input = FileHandle(forReadingAtPath: file.path) else { throw LocalIOError(path: file.path, operation: "open", code: errno) }
            defer { try? input.close() }
            let entry = try await push(name: file.name, from: input)
            guard entry.plaintextSHA256 == file.sha256 else {
                try await remove(names: [file.name])
                throw RepositoryError.verificationFailed(name: file.name, what: "the local file's sha256 (\(file.path), changed since it was recorded?)",
                                                         expected: file.sha256, actual: entry.plaintextSHA256)
            }
            RepositoryWriters.shared.begin(entry.key)
            return entry
        }
        let plain: Data
        do {
            plain = try Data(contentsOf: URL(fileURLWithPath: file.path))
        } catch {
            throw LocalIOError(path: file.path, operation: "read", code: (error as NSError).code == NSFileReadNoSuchFileError ? ENOENT : EIO)
        }
        let plainSHA = Self.hex(SHA256.hash(data: plain))
        guard plainSHA == file.sha256 else {
            throw RepositoryError.verificationFailed(name: file.name, what: "the local file's sha256 (\(file.path), changed since it was recorded?)",
                                                     expected: file.sha256, actual: plainSHA)
        }
        var encryptor = try AgeEncryptor(recipients: recipients)
        var cipher = try encryptor.update(plain)
        cipher.append(try encryptor.finish())
        let key = config.objectsPrefix(namespace: namespace) + Self.relative(file.name) + "/" + UUID().uuidString.lowercased() + ".age"
        RepositoryWriters.shared.begin(key)
        do {
            try await uploader.putObject(bucket: config.bucket, key: key, data: cipher, contentType: "application/octet-stream")
        } catch {
            RepositoryWriters.shared.end(key)
            throw error
        }
        return Pushed(key: key, plaintextSize: Int64(plain.count), plaintextSHA256: plainSHA,
                      ciphertextSize: Int64(cipher.count), ciphertextSHA256: Self.hex(SHA256.hash(data: cipher)),
                      pushedAt: ISO8601DateFormatter().string(from: Date()))
    }
}
