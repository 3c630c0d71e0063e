import AsyncHTTPClient
import Crypto
import Foundation

/// The repository's object store over S3: every object is an age file, uploaded as it is
/// encrypted (multipart, constant memory), and listed in the manifest only after its upload
/// completed. Assumes one writer at a time (the engine's locks serialise pushes).
public final class RepositoryStore {
    /// Parts are buffered in memory up to this size (S3's minimum part is 5 MiB).
    static let partSize = 8 << 20
    public let config: RepositoryConfig
    let client: S3Client
    private let recipients: [AgeRecipient]

    public init(config: RepositoryConfig) throws {
        self.config = config
        recipients = try config.recipients.map { try AgeRecipient($0) }
        guard !recipients.isEmpty else { throw AgeError.misuse("a repository needs at least one recipient") }
        client = S3Client(connection: try config.connection(), maxConnections: 4)
    }

    public func shutdown() async { await client.shutdown() }

    /// What a push recorded.
    public typealias Pushed = RepositoryManifest.Entry

    /// Encrypts everything `input` yields into the repository as `name`: sha256 of the plaintext,
    /// age encryption, multipart upload, then the manifest. Leftovers of interrupted pushes are
    /// removed first.
    @discardableResult
    public func push(name: String, from input: FileHandle) async throws -> Pushed {
        try Self.check(name)
        try await removeLeftovers()
        let key = config.objectsPrefix + name + "/" + UUID().uuidString.lowercased() + ".age"
        let uploadID = try await client.createMultipartUpload(bucket: config.bucket, key: key)
        do {
            let entry = try await upload(input, key: key, uploadID: uploadID)
            var manifest = try await loadManifest()
            let superseded = manifest.objects[name]?.key
            manifest.objects[name] = entry
            try await client.putObject(bucket: config.bucket, key: config.manifestKey, data: try manifest.encoded(),
                                       contentType: "application/json")
            // Only now is the old version unreferenced; a failure here leaves a leftover the next push removes.
            if let superseded, superseded != key { try? await client.deleteObjects(bucket: config.bucket, keys: [superseded]) }
            return entry
        } catch {
            await client.abortMultipartUpload(bucket: config.bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    private func upload(_ input: FileHandle, key: String, uploadID: String) async throws -> Pushed {
        var encryptor = try AgeEncryptor(recipients: recipients)
        var plainHash = SHA256(), cipherHash = SHA256()
        var plainSize: Int64 = 0, cipherSize: Int64 = 0
        var part = Data(), parts: [(number: Int, etag: String)] = []
        let collect: (Data) -> Void = { sealed in
            cipherHash.update(data: sealed)
            cipherSize += Int64(sealed.count)
            part.append(sealed)
        }
        func flush(force: Bool) async throws {
            guard part.count >= Self.partSize || (force && (!part.isEmpty || parts.isEmpty)) else { return }
            let number = parts.count + 1
            parts.append((number, try await client.uploadPart(bucket: config.bucket, key: key, uploadID: uploadID,
                                                               number: number, data: part)))
            part = Data()
        }
        while let piece = try input.read(upToCount: AgeFileStreams.readSize), !piece.isEmpty {
            plainHash.update(data: piece)
            plainSize += Int64(piece.count)
            try encryptor.update(piece, emit: collect)
            try await flush(force: false)
        }
        try encryptor.finish(emit: collect)
        try await flush(force: true)
        _ = try await client.completeMultipartUpload(bucket: config.bucket, key: key, uploadID: uploadID, parts: parts)
        return Pushed(key: key, plaintextSize: plainSize, plaintextSHA256: Self.hex(plainHash.finalize()),
                      ciphertextSize: cipherSize, ciphertextSHA256: Self.hex(cipherHash.finalize()),
                      pushedAt: ISO8601DateFormatter().string(from: Date()))
    }

    /// Downloads and decrypts `name` into `destination`, through `destination.partial`: the
    /// destination appears only after the ciphertext and plaintext matched the manifest's sizes
    /// and sha256 and the age stream ended properly.
    @discardableResult
    public func pull(name: String, to destination: String, identities: [AgeIdentity]) async throws -> Pushed {
        guard let entry = try await loadManifest().objects[name] else { throw RepositoryError.notInManifest(name: name) }
        let output = try PartialFile(finalPath: destination)
        do {
            var decryptor = AgeDecryptor(identities: identities)
            var plainHash = SHA256(), cipherHash = SHA256()
            var plainSize: Int64 = 0, cipherSize: Int64 = 0
            let write: (Data) throws -> Void = { plain in
                plainHash.update(data: plain)
                plainSize += Int64(plain.count)
                try plain.withUnsafeBytes { try output.write($0) }
            }
            let response = try await client.getObject(bucket: config.bucket, key: entry.key)
            for try await buffer in response.body {
                let piece = Data(buffer.readableBytesView)
                cipherHash.update(data: piece)
                cipherSize += Int64(piece.count)
                try decryptor.update(piece, emit: write)
            }
            try decryptor.finish(emit: write)
            try Self.verify(name, "the ciphertext's sha256", entry.ciphertextSHA256, Self.hex(cipherHash.finalize()))
            try Self.verify(name, "the ciphertext's size", String(entry.ciphertextSize), String(cipherSize))
            try Self.verify(name, "the plaintext's sha256", entry.plaintextSHA256, Self.hex(plainHash.finalize()))
            try Self.verify(name, "the plaintext's size", String(entry.plaintextSize), String(plainSize))
            try output.commit()
            return entry
        } catch {
            output.discard()
            throw error
        }
    }

    /// The manifest, or an empty one when the repository has none yet.
    public func loadManifest() async throws -> RepositoryManifest {
        let response: HTTPClientResponse
        do {
            response = try await client.getObject(bucket: config.bucket, key: config.manifestKey)
        } catch S3Error.noSuchKey {
            return RepositoryManifest()
        }
        let request = S3Request(method: .GET, bucket: config.bucket, key: config.manifestKey, operation: "GetObject")
        let data = try await client.readBody(response, request: request)
        do {
            return try JSONDecoder().decode(RepositoryManifest.self, from: data)
        } catch {
            throw RepositoryError.badManifest(key: config.manifestKey, reason: "\(error)")
        }
    }

    /// Aborts incomplete multipart uploads and deletes objects the manifest does not list:
    /// what interrupted pushes left. Returns how many of each.
    @discardableResult
    public func removeLeftovers() async throws -> (aborted: Int, deleted: Int) {
        let uploads = try await client.listMultipartUploads(bucket: config.bucket, prefix: config.objectsPrefix)
        for upload in uploads {
            await client.abortMultipartUpload(bucket: config.bucket, key: upload.key, uploadID: upload.uploadID)
        }
        let listed = Set(try await loadManifest().objects.values.map(\.key))
        let stray = try await client.listObjects(bucket: config.bucket, prefix: config.objectsPrefix)
            .map(\.key).filter { !listed.contains($0) }
        if !stray.isEmpty { try await client.deleteObjects(bucket: config.bucket, keys: stray) }
        return (uploads.count, stray.count)
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
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
