import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import RunbookCore

/// The repository's object store over S3: every object is an age file, uploaded as it is
/// encrypted (multipart, constant memory), and listed in its namespace's manifest only after
/// its upload completed.
///
/// Names are paths such as `dumps/app-20261204-0200.dump`; the first component is the
/// namespace. Each namespace has its own manifest (`PREFIX/manifests/NS.json`) and objects
/// (`PREFIX/objects/NS/NAME/RANDOM.age`). Writers of one namespace are serialised: across
/// processes by the engine's run locks, inside one process by `RepositoryWriters`.
public final class RepositoryStore: @unchecked Sendable {
    /// Parts are buffered in memory up to this size (S3's minimum part is 5 MiB).
    static let partSize = 8 << 20
    /// Parts of one push uploading at once (one TCP stream alone does not fill the link).
    static let concurrentParts = 3
    /// `pullData` refuses objects larger than this: it is for catalogs and manifests.
    public static let smallObjectLimit: Int64 = 64 << 20
    public let config: RepositoryConfig
    let client: S3Client
    private let recipients: [AgeRecipient]

    /// Told what each clean-up removed (when it removed anything), so the caller can record it.
    let leftoverObserver: (@Sendable (RepositoryLeftovers) -> Void)?

    /// - Parameter leftoverObserver: called after `removeLeftovers` (run first by every push)
    ///   aborted or deleted anything, with the keys, so the caller records what was removed.
    public init(config: RepositoryConfig, leftoverObserver: (@Sendable (RepositoryLeftovers) -> Void)? = nil) throws {
        self.config = config
        self.leftoverObserver = leftoverObserver
        recipients = try config.recipients.map { try AgeRecipient($0) }
        guard !recipients.isEmpty else { throw AgeError.misuse("a repository needs at least one recipient") }
        client = S3Client(connection: try config.connection(), maxConnections: 4)
        _ = Self.partsAreMapped
    }

    /// Parts (8 MiB, allocated as each is filled, freed when uploaded) are given their own
    /// mappings, returned to the system when freed. glibc otherwise raises its mmap threshold
    /// after the first free and serves later parts from per-thread arenas, which keep freed parts
    /// resident: a 1 GiB push peaked at 90-108 MiB; with this, 58-68 MiB (the price: page faults
    /// for each fresh part, about 0.3 s of system CPU per GiB). Process-wide, set once, at 6 MiB:
    /// above the pull's ranges (about 4 MiB), which come from the arenas and, with the trim
    /// threshold set below, stay there to be reused.
    private static let partsAreMapped: Void = {
        // Looked up because Swift's Glibc module does not include <malloc.h>; -3 is glibc's M_MMAP_THRESHOLD.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        _ = mallopt(-3, Int32(partSize / 4 * 3))
        // -1 is M_TRIM_THRESHOLD. Setting the mmap threshold fixes the trim threshold at 128 KiB,
        // so each freed range buffer of a pull (4 MiB, from an arena) was handed back to the system
        // and the next one faulted in and zeroed again: 4-5% of a pull's CPU. 16 MiB keeps a few.
        _ = mallopt(-1, 16 << 20)
    }()

    public func shutdown() async { await client.shutdown() }

    /// What a push recorded.
    public typealias Pushed = RepositoryManifest.Entry

    /// Encrypts everything `input` yields into the repository as `name`: sha256 of the plaintext,
    /// age encryption, multipart upload, then the manifest. Leftovers of interrupted pushes to the
    /// same namespace are removed first.
    @discardableResult
    public func push(name: String, from input: FileHandle, metadata: [String: String]? = nil) async throws -> Pushed {
        // One reused read buffer: a fresh megabyte per read costs more than encrypting it. Each
        // piece is consumed (hashed, encrypted, copied into a part) before the next read.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: AgeFileStreams.readSize, alignment: 16)
        defer { buffer.deallocate() }
        return try await push(name: name, metadata: metadata) {
            let count = try AgeFileStreams.readPiece(input, into: buffer)
            return count == 0 ? nil : Data(bytesNoCopy: buffer.baseAddress!, count: count, deallocator: .none)
        }
    }

    /// Pushes a small object held in memory (a catalog, a media index).
    @discardableResult
    public func pushData(name: String, data: Data, metadata: [String: String]? = nil) async throws -> Pushed {
        var offset = 0
        return try await push(name: name, metadata: metadata) {
            guard offset < data.count else { return nil }
            let end = min(offset + AgeFileStreams.readSize, data.count)
            defer { offset = end }
            return data.subdata(in: offset..<end)
        }
    }

    private func push(name: String, metadata: [String: String]?, read: @escaping () throws -> Data?) async throws -> Pushed {
        let namespace = try Self.namespace(of: name)
        try await removeLeftovers(namespace: namespace)
        let key = config.objectsPrefix(namespace: namespace) + Self.relative(name) + "/" + UUID().uuidString.lowercased() + ".age"
        RepositoryWriters.shared.begin(key)
        defer { RepositoryWriters.shared.end(key) }
        let uploadID = try await client.createMultipartUpload(bucket: config.bucket, key: key)
        do {
            var entry = try await upload(read, key: key, uploadID: uploadID)
            entry.metadata = metadata
            let superseded = try await updateManifest(namespace: namespace) { $0.objects.updateValue(entry, forKey: name)?.key }
            // Only now is the old version unreferenced; a failure here leaves a leftover the next push removes.
            if let superseded, superseded != key { try? await client.deleteObjects(bucket: config.bucket, keys: [superseded]) }
            return entry
        } catch {
            await client.abortMultipartUpload(bucket: config.bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Encrypts what `read` yields into parts and uploads them: while the next part is being
    /// encrypted, up to `concurrentParts` earlier ones travel at once. Parts are NIO buffers
    /// the HTTP client sends as they are, so memory is about `concurrentParts + 1` parts.
    private func upload(_ read: () throws -> Data?, key: String, uploadID: String) async throws -> Pushed {
        var encryptor = try AgeEncryptor(recipients: recipients)
        var plainHash = SHA256(), cipherHash = SHA256()
        var plainSize: Int64 = 0, cipherSize: Int64 = 0
        var part = Self.emptyPart(), parts: [(number: Int, etag: String)] = []
        let collect: (Data) -> Void = { sealed in
            cipherHash.update(data: sealed)
            cipherSize += Int64(sealed.count)
            part.writeBytes(sealed)
        }
        try await withThrowingTaskGroup(of: (number: Int, etag: String).self) { group in
            var started = 0
            // Hands the part to a task of its own, first waiting for one in flight to finish
            // when `concurrentParts` already are.
            func send() async throws {
                if started - parts.count >= Self.concurrentParts, let done = try await group.next() { parts.append(done) }
                started += 1
                let number = started, body = part
                part = Self.emptyPart()
                group.addTask { [client, config] in
                    (number, try await client.uploadPart(bucket: config.bucket, key: key, uploadID: uploadID, number: number, buffer: body))
                }
            }
            while let piece = try read(), !piece.isEmpty {
                plainHash.update(data: piece)
                plainSize += Int64(piece.count)
                // The encryptor gets only what is sure to fit in the part, so a part never outgrows its buffer.
                var offset = piece.startIndex
                while offset < piece.endIndex {
                    let fits = Self.plaintextThatFits(part.readableBytes)
                    guard fits > 0 else { try await send(); continue }
                    let end = min(piece.endIndex, offset + fits)
                    try encryptor.update(piece[offset..<end], emit: collect)
                    offset = end
                }
            }
            if Self.plaintextThatFits(part.readableBytes) == 0 { try await send() }
            try encryptor.finish(emit: collect)
            // The last part: never empty, `finish` seals at least the final chunk.
            try await send()
            // A failed part throws here; the group then cancels the others and `push` aborts the upload.
            while let done = try await group.next() { parts.append(done) }
        }
        parts.sort { $0.number < $1.number }
        _ = try await client.completeMultipartUpload(bucket: config.bucket, key: key, uploadID: uploadID, parts: parts)
        return Pushed(key: key, plaintextSize: plainSize, plaintextSHA256: Self.hex(plainHash.finalize()),
                      ciphertextSize: cipherSize, ciphertextSHA256: Self.hex(cipherHash.finalize()),
                      pushedAt: Self.timestamp())
    }

    /// A part's buffer: exactly `partSize`, a power of two, because NIO rounds a buffer's capacity
    /// up to one (room for a part plus the last read, 9.1 MiB, took 16 MiB of address space and
    /// left glibc's arenas holding freed parts: 90-108 MiB peak RSS for a 1 GiB push).
    private static func emptyPart() -> ByteBuffer {
        ByteBufferAllocator().buffer(capacity: partSize)
    }

    /// How much plaintext the encryptor may be given for a part holding `used` bytes: n bytes
    /// seal into at most n / 64 KiB + 1 chunks (one may be held back from before). Zero: the
    /// part is full enough (at least `partSize` minus two sealed chunks) to be sent.
    static func plaintextThatFits(_ used: Int) -> Int {
        max(0, (partSize - used) / AgePayloadStream.sealedChunkSize - 1) * AgePayloadStream.chunkSize
    }

    /// Downloads and decrypts `name` into `destination`, through `destination.partial`: the
    /// destination appears only after every chunk authenticated, the age stream ended properly
    /// and the plaintext matched the manifest's size and sha256 (the ciphertext's too, for
    /// objects read in one GET; see `decryptInRanges` for why ranged pulls do not re-hash it).
    @discardableResult
    public func pull(name: String, to destination: String, identities: [AgeIdentity]) async throws -> Pushed {
        try await pull(name: name, entry: try await entry(name), to: destination, identities: identities)
    }

    /// `pull(name:to:identities:)` with the manifest entry in hand: fetching many objects of one
    /// namespace reads its manifest once, not once per object.
    @discardableResult
    public func pull(name: String, entry: Pushed, to destination: String, identities: [AgeIdentity]) async throws -> Pushed {
        let output = try PartialFile(finalPath: destination)
        do {
            try await decrypt(name, entry, identities: identities) { plain in try plain.withUnsafeBytes { try output.write($0) } }
            try output.commit()
            return entry
        } catch {
            output.discard()
            throw error
        }
    }

    /// A small object (a catalog, an index), decrypted and checked against the manifest.
    public func pullData(name: String, identities: [AgeIdentity]) async throws -> Data {
        let entry = try await entry(name)
        guard entry.plaintextSize <= Self.smallObjectLimit else {
            throw RepositoryError.tooLarge(name: name, size: entry.plaintextSize, limit: Self.smallObjectLimit)
        }
        var data = Data()
        try await decrypt(name, entry, identities: identities) { data.append($0) }
        return data
    }

    /// Streams the object through the decryptor into `write`; throws, after whatever `write`
    /// received, when a size or sha256 differs from the manifest or the age stream is cut or
    /// altered. Callers publish what they received only when this returns.
    private func decrypt(_ name: String, _ entry: Pushed, identities: [AgeIdentity], write: (Data) throws -> Void) async throws {
        var decryptor = AgeDecryptor(identities: identities)
        var plainHash = SHA256(), cipherHash = SHA256()
        var plainSize: Int64 = 0, cipherSize: Int64 = 0
        func emit(_ plain: Data) throws {
            plainHash.update(data: plain)
            plainSize += Int64(plain.count)
            try write(plain)
        }
        func consume(_ buffer: ByteBuffer) throws {
            try buffer.withUnsafeReadableBytes { bytes in
                // Not a copy: the decryptor keeps nothing of its input past this call but what it copies itself.
                let piece = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count, deallocator: .none)
                cipherHash.update(data: piece)
                cipherSize += Int64(piece.count)
                try decryptor.update(piece, emit: emit)
            }
        }
        if entry.ciphertextSize >= RangedReads.threshold {
            // age authenticates every ciphertext byte on this path: see decryptInRanges.
            try await decryptInRanges(entry, identities: identities, hash: { plain in
                plainHash.update(data: plain)
                plainSize += Int64(plain.count)
            }, write: write)
        } else {
            let response = try await client.getObject(bucket: config.bucket, key: entry.key)
            for try await buffer in response.body where buffer.readableBytes > 0 { try consume(buffer) }
            try decryptor.finish(emit: emit)
            try Self.verify(name, "the ciphertext's sha256", entry.ciphertextSHA256, Self.hex(cipherHash.finalize()))
            try Self.verify(name, "the ciphertext's size", String(entry.ciphertextSize), String(cipherSize))
        }
        try Self.verify(name, "the plaintext's sha256", entry.plaintextSHA256, Self.hex(plainHash.finalize()))
        try Self.verify(name, "the plaintext's size", String(entry.plaintextSize), String(plainSize))
    }

    /// Whether `identities` open `name`: reads only the object's header (the first 64 KiB),
    /// so a wrong identity is found before anything is downloaded or touched.
    public func checkIdentities(_ identities: [AgeIdentity], against name: String) async throws {
        let entry = try await entry(name)
        let request = S3Request(method: .GET, bucket: config.bucket, key: entry.key, headers: [("range", "bytes=0-65535")],
                                operation: "GetObject (header) s3://\(config.bucket)/\(entry.key)")
        let head = try await client.sendForBody(request)
        var decryptor = AgeDecryptor(identities: identities)
        _ = try decryptor.update(head)
    }

    /// The manifest entry of `name`.
    public func entry(_ name: String) async throws -> Pushed {
        guard let entry = try await loadManifest(namespace: try Self.namespace(of: name)).objects[name] else {
            throw RepositoryError.notInManifest(name: name)
        }
        return entry
    }

    /// Changes the metadata of a listed object (a verification recorded later, for example).
    public func updateMetadata(name: String, _ change: @escaping (inout [String: String]) -> Void) async throws {
        try await updateManifest(namespace: try Self.namespace(of: name)) { manifest in
            guard var entry = manifest.objects[name] else { throw RepositoryError.notInManifest(name: name) }
            var metadata = entry.metadata ?? [:]
            change(&metadata)
            entry.metadata = metadata
            manifest.objects[name] = entry
        }
    }

    /// Every object the namespace's manifest lists, by name.
    public func entries(namespace: String) async throws -> [String: Pushed] {
        try await loadManifest(namespace: namespace).objects
    }

    /// Takes `names` out of their manifests first (so they stop existing at once), then deletes
    /// their objects. Returns the entries removed; names not listed are ignored.
    @discardableResult
    public func remove(names: [String]) async throws -> [String: Pushed] {
        var removed: [String: Pushed] = [:]
        for (namespace, group) in Dictionary(grouping: names, by: { (try? Self.namespace(of: $0)) ?? "" }) where !namespace.isEmpty {
            let gone = try await updateManifest(namespace: namespace) { manifest in
                group.reduce(into: [String: Pushed]()) { found, name in found[name] = manifest.objects.removeValue(forKey: name) }
            }
            removed.merge(gone) { $1 }
            let keys = gone.values.map(\.key)
            if !keys.isEmpty { try await client.deleteObjects(bucket: config.bucket, keys: keys) }
        }
        return removed
    }

    /// The namespace's manifest, or an empty one when it has none yet.
    public func loadManifest(namespace: String) async throws -> RepositoryManifest {
        let key = config.manifestKey(namespace: namespace)
        let response: HTTPClientResponse
        do {
            response = try await client.getObject(bucket: config.bucket, key: key)
        } catch S3Error.noSuchKey {
            return RepositoryManifest()
        }
        let request = S3Request(method: .GET, bucket: config.bucket, key: key, operation: "GetObject")
        let data = try await client.readBody(response, request: request)
        do {
            return try JSONDecoder().decode(RepositoryManifest.self, from: data)
        } catch {
            throw RepositoryError.badManifest(key: key, reason: "\(error)")
        }
    }

    /// Read, change, write the namespace's manifest, with every other writer of it in this
    /// process waiting (parallel dump steps push at once).
    func updateManifest<T>(namespace: String, _ change: (inout RepositoryManifest) throws -> T) async throws -> T {
        let key = config.manifestKey(namespace: namespace)
        let lockName = config.endpoint + "|" + config.bucket + "|" + key
        await RepositoryWriters.shared.lock(lockName)
        defer { RepositoryWriters.shared.unlock(lockName) }
        var manifest = try await loadManifest(namespace: namespace)
        let result = try change(&manifest)
        try await client.putObject(bucket: config.bucket, key: key, data: try manifest.encoded(), contentType: "application/json")
        return result
    }

    /// Aborts incomplete multipart uploads and deletes objects the namespace's manifest does not
    /// list: what interrupted pushes left. Uploads this process has in flight are not leftovers;
    /// another process writing the same namespace is excluded by the engine's locks.
    @discardableResult
    public func removeLeftovers(namespace: String) async throws -> (aborted: Int, deleted: Int) {
        let prefix = config.objectsPrefix(namespace: namespace)
        let uploads = try await client.listMultipartUploads(bucket: config.bucket, prefix: prefix)
            .filter { !RepositoryWriters.shared.isInFlight($0.key) }
        var removed = RepositoryLeftovers(namespace: namespace)
        for upload in uploads {
            await client.abortMultipartUpload(bucket: config.bucket, key: upload.key, uploadID: upload.uploadID)
            removed.abortedUploads.append(upload.key)
        }
        // In this order: a push beside this one (another member of a for_each) lists its object
        // in the manifest before it stops being in flight, so an object that was in the listing
        // and is no longer in flight is in the manifest read after, unless it is a leftover.
        let present = try await client.listObjects(bucket: config.bucket, prefix: prefix)
            .map(\.key).filter { !RepositoryWriters.shared.isInFlight($0) }
        let listed = Set(try await loadManifest(namespace: namespace).objects.values.map(\.key))
        let stray = present.filter { !listed.contains($0) }
        if !stray.isEmpty { try await client.deleteObjects(bucket: config.bucket, keys: stray) }
        removed.deletedObjects = stray
        if !removed.isEmpty { leftoverObserver?(removed) }
        return (uploads.count, stray.count)
    }

    /// The namespace of a valid name: its first component, which must be followed by more.
    static func namespace(of name: String) throws -> String {
        try check(name)
        let parts = name.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { throw RepositoryError.badName(name) }
        return String(parts[0])
    }

    static func relative(_ name: String) -> String {
        String(name.split(separator: "/", maxSplits: 1)[1])
    }

    static func check(_ name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-_/"))
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }),
              !name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else { throw RepositoryError.badName(name) }
    }

    static func verify(_ name: String, _ what: String, _ expected: String, _ actual: String) throws {
        guard expected == actual else {
            throw RepositoryError.verificationFailed(name: name, what: what, expected: expected, actual: actual)
        }
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        // Not String(format:) per byte: for a thousand small media objects that was 8% of the push's CPU.
        HexText.lowercase(digest)
    }

    /// `2026-12-05T03:12:15Z`, what `ISO8601DateFormatter` writes by default, without creating
    /// one: an ICU formatter per pushed object was 15% of a media push's CPU.
    static func timestamp(_ date: Date = Date()) -> String {
        UTCTimestampText.format(date, milliseconds: false)
    }
}
