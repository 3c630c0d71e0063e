import Crypto
import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// The repository's object store against a real `rclone serve s3` (the repository server of
/// issue 17's tests), with keys from the real `age-keygen`: push and pull round trips, what an
/// interrupted push leaves and how the next push removes it, and refusals of tampered,
/// truncated and wrongly keyed objects, with nothing left at the destination.
final class RepositoryStoreTests: XCTestCase {
    private static let lock = NSLock()
    private static var shared: S3Server?
    var server: S3Server!
    var dir = ""
    var store: RepositoryStore!
    var raw: S3Client!
    var identity: [AgeIdentity] = []

    override class func tearDown() {
        lock.withLock { shared?.stop(); shared = nil }
    }

    override func setUp() async throws {
        server = try Self.lock.withLock { () throws -> S3Server in
            if let server = Self.shared { return server }
            let started = try S3Server.start(.rclone)
            Self.shared = started
            return started
        }
        dir = NSTemporaryDirectory() + "runbook-repo-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let recipient = try AgeCLI.keygen(dir + "/key.txt")
        identity = try AgeIdentityFile.load(path: dir + "/key.txt")
        let bucket = "repo-\(UUID().uuidString.prefix(8).lowercased())"
        let config = RepositoryConfig(endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey,
                                      bucket: bucket, prefix: "prod/", recipients: [recipient.description])
        raw = S3Client(connection: try config.connection())
        _ = try await raw.createBucket(bucket)
        store = try RepositoryStore(config: config)
    }

    override func tearDown() async throws {
        await store?.shutdown()
        await raw?.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func file(_ name: String) -> String { dir + "/" + name }

    func push(_ name: String, size: Int) async throws -> (entry: RepositoryManifest.Entry, sha256: String) {
        let local = file(name.replacingOccurrences(of: "/", with: "_"))
        let sha = try AgeCLI.writeRandom(local, size: size)
        let input = try XCTUnwrap(FileHandle(forReadingAtPath: local))
        defer { try? input.close() }
        return (try await store.push(name: name, from: input), sha)
    }

    func testAPushedObjectPullsBackIdenticalAndAgeDecryptsItToo() async throws {
        let (entry, sha) = try await push("db/app.dump", size: 20 * 1_048_576 + 5)
        XCTAssertEqual(entry.plaintextSHA256, sha)
        XCTAssertEqual(entry.plaintextSize, 20 * 1_048_576 + 5)
        XCTAssertTrue(entry.key.hasPrefix("prod/objects/db/app.dump/") && entry.key.hasSuffix(".age"), entry.key)
        try await store.pull(name: "db/app.dump", to: file("restored"), identities: identity)
        XCTAssertEqual(try AgeCLI.sha256(file("restored")), sha)

        // The stored object is a plain age file: the age CLI opens it without runbook.
        let stored = try await download(entry.key)
        XCTAssertEqual(AgeCLI.hex(SHA256.hash(data: stored)), entry.ciphertextSHA256)
        try stored.write(to: URL(fileURLWithPath: file("stored.age")))
        try AgeCLI.run(["age", "-d", "-i", file("key.txt"), "-o", file("by-age"), file("stored.age")], in: dir)
        XCTAssertEqual(try AgeCLI.sha256(file("by-age")), sha)
    }

    func testAnInterruptedPushLeavesNothingListedAndTheNextPushCleansUp() async throws {
        let bucket = store.config.bucket
        // What a push killed mid-upload leaves: an incomplete multipart upload, and an object
        // completed but never listed (killed between the upload and the manifest).
        let orphanKey = "prod/objects/db/app.dump/dead.age"
        let uploadID = try await raw.createMultipartUpload(bucket: bucket, key: "prod/objects/db/app.dump/killed.age")
        _ = try await raw.uploadPart(bucket: bucket, key: "prod/objects/db/app.dump/killed.age", uploadID: uploadID,
                                     number: 1, data: Data(repeating: 1, count: 5 << 20))
        try await raw.putObject(bucket: bucket, key: orphanKey, data: Data("age-encryption.org/v1\n".utf8),
                                contentType: "application/octet-stream")
        let pendingBefore = try await raw.listMultipartUploads(bucket: bucket, prefix: "prod/objects/")
        XCTAssertEqual(pendingBefore.count, 1)
        do {
            try await store.pull(name: "db/app.dump", to: file("out"), identities: identity)
            XCTFail("an unlisted object was handed out")
        } catch let error as RepositoryError {
            XCTAssertEqual(error, .notInManifest(name: "db/app.dump"))
        }

        let (entry, _) = try await push("db/app.dump", size: 1000)
        let pendingAfter = try await raw.listMultipartUploads(bucket: bucket, prefix: "prod/objects/")
        XCTAssertEqual(pendingAfter, [])
        let keys = try await raw.listObjects(bucket: bucket, prefix: "prod/").map(\.key).sorted()
        XCTAssertEqual(keys, [entry.key, "prod/manifests/db.json"].sorted())
    }

    func testARepushReplacesTheListedVersionAndRemovesTheOldOne() async throws {
        let first = try await push("globals/roles.sql", size: 10)
        let second = try await push("globals/roles.sql", size: 20)
        XCTAssertNotEqual(first.entry.key, second.entry.key)
        let keys = try await raw.listObjects(bucket: store.config.bucket, prefix: "prod/objects/").map(\.key)
        XCTAssertEqual(keys, [second.entry.key])
        try await store.pull(name: "globals/roles.sql", to: file("out"), identities: identity)
        XCTAssertEqual(try AgeCLI.sha256(file("out")), second.sha256)
    }

    func testTamperedTruncatedAndWronglyKeyedObjectsAreRefusedWithNothingRestored() async throws {
        let (entry, _) = try await push("dumps/app.dump", size: 300_000)
        let original = try await download(entry.key)
        let payloadStart = original.count - 300_000 - 5 * 16
        var flipped = original
        flipped[payloadStart + 70_000] ^= 0x01
        let cases: [(String, Data?, [AgeIdentity], String)] = [
            ("flipped", flipped, identity, "payload chunk 1 failed authentication: the ciphertext was modified, damaged or cut short"),
            ("cut at a chunk boundary", original.prefix(payloadStart + 2 * 65_552), identity,
             "the encrypted stream is truncated: the input ends after chunk 1, which is not the final chunk"),
            ("wrong identity", nil, [AgeIdentity.generate()],
             "no identity matches: none of the file's 1 recipient stanza(s) opens with the given identities (wrong key?)"),
        ]
        for (label, bytes, identities, message) in cases {
            if let bytes {
                try await raw.putObject(bucket: store.config.bucket, key: entry.key, data: bytes, contentType: "application/octet-stream")
            }
            do {
                try await store.pull(name: "dumps/app.dump", to: file("out"), identities: identities)
                XCTFail("\(label): pulled")
            } catch {
                XCTAssertEqual("\(error)", message, label)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: file("out")), label)
            XCTAssertFalse(FileManager.default.fileExists(atPath: file("out.partial")), label)
        }

        // Another valid age file for the same recipient in the object's place: age accepts it,
        // the manifest's sha256 does not.
        let swapped = try AgeEncryptor.encrypt(Data(count: 300_000), to: [identity[0].recipient])
        try await raw.putObject(bucket: store.config.bucket, key: entry.key, data: swapped, contentType: "application/octet-stream")
        do {
            try await store.pull(name: "dumps/app.dump", to: file("out"), identities: identity)
            XCTFail("a substituted object was pulled")
        } catch let error as RepositoryError {
            guard case .verificationFailed(_, let what, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(what, "the ciphertext's sha256")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("out")))
    }

    func testParallelPushesOfOneNamespaceAreAllListedAndNoneTakenForALeftover() async throws {
        // backup dumps several databases at once into one namespace: each push must survive the
        // others' clean-up, and each entry the others' manifest rewrite.
        let names = (1...4).map { "dumps/db\($0).dump" }
        let pushed = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for name in names {
                group.addTask { (name, try await self.push(name, size: 9 << 20).sha256) }
            }
            return try await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
        }
        let listed = try await store.entries(namespace: "dumps")
        XCTAssertEqual(Set(listed.keys), Set(names))
        for name in names {
            XCTAssertEqual(listed[name]?.plaintextSHA256, pushed[name], name)
            try await store.pull(name: name, to: file("out"), identities: identity)
            XCTAssertEqual(try AgeCLI.sha256(file("out")), pushed[name], name)
            try FileManager.default.removeItem(atPath: file("out"))
        }
        let stored = try await raw.listObjects(bucket: store.config.bucket, prefix: "prod/objects/").map(\.key)
        XCTAssertEqual(Set(stored), Set(listed.values.map(\.key)))
    }

    /// Small files sit side by side (no folder per object, which a file-backed server pays a
    /// directory for); an object listed under the older NAME/RANDOM.age layout still pulls.
    func testSmallFilesLieSideBySideAndAnObjectUnderTheOlderLayoutStillPulls() async throws {
        var files: [RepositoryStore.FileToPush] = []
        for (index, size) in [0, 1, 20_000].enumerated() {
            let sha = try AgeCLI.writeRandom(file("small-\(index)"), size: size)
            files.append(.init(name: "media/\(index)0a1b2c", path: file("small-\(index)"), sha256: sha))
        }
        let pushed = try await store.pushFiles(files, namespace: "media", parallel: 2)
        for item in files {
            let key = try XCTUnwrap(pushed[item.name]?.key)
            let rest = String(key.dropFirst("prod/objects/".count))
            XCTAssertTrue(key.hasPrefix("prod/objects/" + item.name + ".") && key.hasSuffix(".age") && rest.split(separator: "/").count == 2, key)
            try await store.pull(name: item.name, to: file("back"), identities: identity)
            XCTAssertEqual(try AgeCLI.sha256(file("back")), item.sha256)
            try FileManager.default.removeItem(atPath: file("back"))
        }

        // A repository written before: the same object under media/ID/RANDOM.age, as its manifest lists it.
        let name = files[2].name
        let old = "prod/objects/" + name + "/" + UUID().uuidString.lowercased() + ".age"
        try await raw.putObject(bucket: store.config.bucket, key: old, data: try await download(try XCTUnwrap(pushed[name]?.key)),
                                contentType: "application/octet-stream")
        try await store.updateManifest(namespace: "media") { $0.objects[name]?.key = old }
        try await store.pull(name: name, to: file("back"), identities: identity)
        XCTAssertEqual(try AgeCLI.sha256(file("back")), files[2].sha256)
    }

    func testNamespacesHaveTheirOwnManifestsAndRemoveUnlistsBeforeDeleting() async throws {
        let dump = try await push("dumps/app.dump", size: 100)
        let wal = try await push("base/b1.tar", size: 100)
        let removed = try await store.remove(names: ["dumps/app.dump", "dumps/never-pushed"])
        XCTAssertEqual(Array(removed.keys), ["dumps/app.dump"])
        let dumps = try await store.entries(namespace: "dumps")
        XCTAssertEqual(dumps, [:])
        let base = try await store.entries(namespace: "base")
        XCTAssertEqual(base["base/b1.tar"]?.plaintextSHA256, wal.sha256)
        let stored = try await raw.listObjects(bucket: store.config.bucket, prefix: "prod/objects/").map(\.key)
        XCTAssertEqual(stored, [wal.entry.key])
        XCTAssertNotEqual(dump.entry.key, wal.entry.key)
    }

    func testPullDataReturnsASmallObjectWithItsMetadataAndTheIdentityCheckRefusesAWrongKey() async throws {
        let catalog = Data(#"{"dumps":["a"]}"#.utf8)
        try await store.pushData(name: "dumps/catalog.json", data: catalog, metadata: ["database": "app"])
        try await store.updateMetadata(name: "dumps/catalog.json") { $0["verified"] = "restore-test" }
        let listed = try await store.entries(namespace: "dumps")
        XCTAssertEqual(listed["dumps/catalog.json"]?.metadata, ["database": "app", "verified": "restore-test"])
        let back = try await store.pullData(name: "dumps/catalog.json", identities: identity)
        XCTAssertEqual(back, catalog)
        try await store.checkIdentities(identity, against: "dumps/catalog.json")
        do {
            try await store.checkIdentities([AgeIdentity.generate()], against: "dumps/catalog.json")
            XCTFail("a wrong identity passed the check")
        } catch {
            XCTAssertEqual("\(error)", "no identity matches: none of the file's 1 recipient stanza(s) opens with the given identities (wrong key?)")
        }
    }

    func testANameWithoutANamespaceIsRefused() async throws {
        do {
            _ = try await store.pushData(name: "app.dump", data: Data())
            XCTFail("pushed a name without a namespace")
        } catch let error as RepositoryError {
            XCTAssertEqual(error, .badName("app.dump"))
        }
    }

    /// Constant memory: a 512 MiB push must not grow the process's peak resident set by more
    /// than 64 MiB (one 1 MiB read buffer, 64 KiB chunks and one 8 MiB part are held at a time).
    func testPushing512MiBGrowsPeakResidentMemoryByLessThan64MiB() async throws {
        let size = 512 << 20
        try AgeCLI.run(["sh", "-c", "head -c \(size) /dev/urandom > \"$0\"", file("big")], in: dir)
        let before = try Self.residentKiB("VmRSS")
        // Writing 5 resets VmHWM (the peak) to the current resident set.
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let input = try XCTUnwrap(FileHandle(forReadingAtPath: file("big")))
        defer { try? input.close() }
        let entry = try await store.push(name: "dumps/big.dump", from: input)
        let peak = try Self.residentKiB("VmHWM")
        XCTAssertEqual(entry.plaintextSize, Int64(size))
        print("push of 512 MiB: resident \(before / 1024) MiB before, peak \(peak / 1024) MiB during")
        XCTAssertLessThan(peak - before, 64 * 1024, "peak grew from \(before) KiB to \(peak) KiB")
    }

    static func residentKiB(_ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let value = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            throw AgeCLI.Failure(description: "no \(field) in /proc/self/status")
        }
        return value
    }

    func download(_ key: String) async throws -> Data {
        let response = try await raw.getObject(bucket: store.config.bucket, key: key)
        var data = Data()
        for try await buffer in response.body { data.append(contentsOf: buffer.readableBytesView) }
        return data
    }
}
