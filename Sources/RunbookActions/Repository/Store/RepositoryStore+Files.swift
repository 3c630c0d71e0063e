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
    /// Files below the part size are encrypted in memory and sent in one PUT as `objects/NS/NAME.RANDOM.age`;
    /// larger ones are streamed by `push` (`objects/NS/NAME/RANDOM.age`). Restores read each key from the manifest.
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
        guard let plain = try Self.contentsIfSmall(file.path) else {
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
        let plainSHA = Self.hex(SHA256.hash(data: plain))
        guard plainSHA == file.sha256 else {
            throw RepositoryError.verificationFailed(name: file.name, what: "the local file's sha256 (\(file.path), changed since it was recorded?)",
                                                     expected: file.sha256, actual: plainSHA)
        }
        var encryptor = try AgeEncryptor(recipients: recipients)
        var cipher = try encryptor.update(plain)
        cipher.append(try encryptor.finish())
        // NAME.RANDOM.age beside each other, not NAME/RANDOM.age as `push` writes: a server on a
        // filesystem (rclone serve s3, MinIO) makes a directory per NAME/, and for a thousand small
        // media objects its mkdirs cost it 0.3-0.9 s more CPU (ext4 inode and directory allocation).
        let key = config.objectsPrefix(namespace: namespace) + Self.relative(file.name) + "." + UUID().uuidString.lowercased() + ".age"
        RepositoryWriters.shared.begin(key)
        do {
            try await uploader.putObject(bucket: config.bucket, key: key, data: cipher, contentType: "application/octet-stream")
        } catch {
            RepositoryWriters.shared.end(key)
            throw error
        }
        return Pushed(key: key, plaintextSize: Int64(plain.count), plaintextSHA256: plainSHA,
                      ciphertextSize: Int64(cipher.count), ciphertextSHA256: Self.hex(SHA256.hash(data: cipher)),
                      pushedAt: Self.timestamp())
    }

    /// The file's bytes when it is smaller than a part (to be encrypted in memory), nil when it is
    /// larger (to be streamed). One open, fstat and read: `FileManager`'s attributes cost a
    /// listxattr and user and group look-ups per file, which a thousand small media objects feel.
    private static func contentsIfSmall(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LocalIOError(path: path, operation: "open", code: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LocalIOError(path: path, operation: "stat", code: errno) }
        guard Int64(info.st_size) < Int64(partSize) else { return nil }
        var data = Data(count: Int(info.st_size))
        let count = try data.withUnsafeMutableBytes { buffer -> Int in
            var done = 0
            while done < buffer.count {
                let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw LocalIOError(path: path, operation: "read", code: errno) }
                if n == 0 { break }
                done += n
            }
            return done
        }
        // A file that shrank since the fstat is read as it is now; its sha256 then refuses it.
        data.count = count
        return data
    }
}
