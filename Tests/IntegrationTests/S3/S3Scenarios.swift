import Foundation
@testable import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

/// The S3 suite, written once and run against each real server (SeaweedFS and rclone serve s3,
/// see `SeaweedFSTests` and `RcloneS3Tests`). The aws CLI loads data and checks results,
/// as a client independent of ours.
final class S3Scenarios {
    let server: S3Server
    let caller: S3ActionCaller
    let scratch: String

    init(server: S3Server) throws {
        self.server = server
        self.caller = S3ActionCaller(server: server)
        self.scratch = try S3TestData.temporaryDirectory("scenario")
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    // MARK: - The full round trip

    /// aws CLI loads 1,000 small files and one large file; we mirror down, wipe the bucket,
    /// mirror up; the aws CLI confirms keys, sizes and content; re-runs copy nothing; `remove`
    /// deletes extras in both directions.
    func roundTrip(data: S3SuiteData) async throws {
        let bucket = "media-roundtrip"
        let record = S3CallRecord()
        _ = try server.aws(["s3", "mb", "s3://\(bucket)"])
        try server.awsUpload(directory: data.root, to: "s3://\(bucket)/")
        try S3Assert.sameEntries(server.awsListing(bucket: bucket), data.sizes, "the aws CLI loaded every file")

        // Down.
        let backup = scratch + "/backup"
        let manifest = scratch + "/backup.manifest.json"
        let down = try await caller.run("s3.mirror", ["from": .string("s3://\(bucket)"), "to": .string(backup),
                                                      "manifest": .string(manifest)], record: record)
        try S3Assert.succeeded(down)
        XCTAssertEqual(down.outputInt("objects"), data.sizes.count)
        XCTAssertEqual(down.outputInt("copied"), data.sizes.count)
        XCTAssertEqual(down.outputInt("skipped"), 0)
        XCTAssertEqual(down.outputInt("bytes").map(Int64.init), data.totalBytes)
        try S3Assert.sameEntries(S3TestData.checksums(backup), data.checksums, "every file came down byte for byte")
        let written = try Manifest.load(path: manifest)
        S3Assert.sameEntries(Dictionary(uniqueKeysWithValues: written.objects.map { ($0.key, $0.sha256) }), data.checksums, "the manifest's sha256")
        XCTAssertEqual(written.totalBytes, data.totalBytes)
        XCTAssertEqual(written.objects.first { $0.key == data.bigKey }?.etag,
                       try server.awsETag(bucket: bucket, key: data.bigKey), "the manifest records the server's ETag")

        // A re-run finds everything in place. Without the manifest it must judge by ETag alone:
        // plain MD5s, and the large file's multipart ETag, which the aws CLI made with its own part size.
        let loadedETag = try server.awsETag(bucket: bucket, key: data.bigKey)
        switch (server.kind, ETag.kind(loadedETag)) {
        case (.seaweedfs, .multipart), (.rclone, .md5): break
        default: XCTFail("unexpected ETag \(loadedETag) from \(server.kind) for the aws CLI's multipart upload")
        }
        let downAgain = try await caller.run("s3.mirror", ["from": .string("s3://\(bucket)"), "to": .string(backup)], record: record)
        try S3Assert.succeeded(downAgain)
        XCTAssertEqual(downAgain.outputInt("copied"), 0, "a re-run copies nothing")
        XCTAssertEqual(downAgain.outputInt("skipped"), data.sizes.count)

        // The disaster: the bucket is wiped (by s3.empty-bucket; the aws CLI confirms).
        let wipe = try await caller.run("s3.empty-bucket", ["bucket": .string(bucket)], record: record)
        try S3Assert.succeeded(wipe)
        XCTAssertEqual(wipe.outputInt("removed"), data.sizes.count)
        XCTAssertEqual(try server.awsListing(bucket: bucket), [:], "the bucket is empty")

        // Up.
        let up = try await caller.run("s3.mirror", ["from": .string(backup), "to": .string("s3://\(bucket)")], record: record)
        try S3Assert.succeeded(up)
        XCTAssertEqual(up.outputInt("copied"), data.sizes.count)
        XCTAssertEqual(up.outputInt("bytes").map(Int64.init), data.totalBytes)
        try S3Assert.sameEntries(server.awsListing(bucket: bucket), data.sizes, "keys and sizes, as the aws CLI lists them")
        let check = scratch + "/aws-check"
        try server.awsDownload(from: "s3://\(bucket)/", to: check)
        try S3Assert.sameEntries(S3TestData.checksums(check), data.checksums, "content, as the aws CLI downloads it")
        try FileManager.default.removeItem(atPath: check)
        let bigETag = try server.awsETag(bucket: bucket, key: data.bigKey)
        switch server.kind {
        case .seaweedfs:
            let parts = (data.bigBytes + (16 << 20) - 1) / (16 << 20)
            XCTAssertTrue(bigETag.hasSuffix("-\(parts)"), "the large file went up in \(parts) parts of 16 MiB: ETag \(bigETag)")
        case .rclone:
            XCTAssertEqual(bigETag, try md5(data.root + "/" + data.bigKey), "rclone's ETag is the plain MD5")
        }

        let upAgain = try await caller.run("s3.mirror", ["from": .string(backup), "to": .string("s3://\(bucket)")], record: record)
        try S3Assert.succeeded(upAgain)
        XCTAssertEqual(upAgain.outputInt("copied"), 0, "a re-run up copies nothing (our own multipart ETag is recognised)")

        // The manifest written at backup time verifies the restored bucket, content included.
        let verify = try await caller.run("s3.verify-manifest", ["manifest": .string(manifest),
                                                                 "location": .string("s3://\(bucket)")], record: record)
        try S3Assert.succeeded(verify)
        XCTAssertEqual(verify.outputInt("objects"), data.sizes.count)

        // remove: extras go, in both directions, and nothing else changes.
        let stray = scratch + "/stray.txt"
        try Data("stray".utf8).write(to: URL(fileURLWithPath: stray))
        _ = try server.aws(["s3", "cp", stray, "s3://\(bucket)/extra/stray.txt", "--only-show-errors"])
        let upRemove = try await caller.run("s3.mirror", ["from": .string(backup), "to": .string("s3://\(bucket)"),
                                                          "remove": .bool(true)], record: record)
        try S3Assert.succeeded(upRemove)
        XCTAssertEqual(upRemove.outputInt("removed"), 1)
        XCTAssertEqual(upRemove.outputInt("copied"), 0)
        try S3Assert.sameEntries(server.awsListing(bucket: bucket), data.sizes, "only the stray object was removed")

        try FileManager.default.copyItem(atPath: stray, toPath: backup + "/photos/stray-local.txt")
        let downRemove = try await caller.run("s3.mirror", ["from": .string("s3://\(bucket)"), "to": .string(backup),
                                                            "remove": .bool(true), "manifest": .string(manifest)], record: record)
        try S3Assert.succeeded(downRemove)
        XCTAssertEqual(downRemove.outputInt("removed"), 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "/photos/stray-local.txt"))
        try S3Assert.sameEntries(S3TestData.checksums(backup), data.checksums, "the backup after remove")
        XCTAssertTrue(record.events.contains { $0.0 == "s3.mirror.removed" }, "each removal is audited")

        assertNoSecret(in: record)
    }

    // MARK: - A large object replaced after the listing

    /// A large object comes down as concurrent ranged GETs, each sent with If-Match on the listed
    /// ETag. One replaced (at the same size) since the listing must not come down spliced from two
    /// versions, nor as the new content under the old ETag. SeaweedFS honours If-Match: the first
    /// range is refused, and the object comes down again as it is now, with its new ETag.
    /// rclone serve s3 ignores If-Match; its plain-MD5 ETag catches the change once everything has
    /// come down, and no file or partial file remains.
    func objectReplacedSinceTheListingIsNotSpliced() async throws {
        let bucket = "media-replaced", key = "clips/video.bin", size = 40 * 1_048_576
        _ = try server.aws(["s3", "mb", "s3://\(bucket)"])
        try S3TestData.writeRandomFile(scratch + "/old/video.bin", bytes: size)
        try S3TestData.writeRandomFile(scratch + "/new/video.bin", bytes: size)
        _ = try server.aws(["s3", "cp", scratch + "/old/video.bin", "s3://\(bucket)/\(key)", "--only-show-errors"])
        let connection = try S3Connection(target: S3Target(endpoint: server.endpoint, accessKey: .literal(server.accessKey),
                                                           secretKey: .literal(server.secretKey)), secrets: [:])
        let client = S3Client(connection: connection)
        do {
            let listing = try await client.listObjects(bucket: bucket, prefix: key)
            let listed = try XCTUnwrap(listing.first)
            XCTAssertGreaterThanOrEqual(listed.size, RangedReads.threshold, "the download must go through ranged GETs")
            _ = try server.aws(["s3", "cp", scratch + "/new/video.bin", "s3://\(bucket)/\(key)", "--only-show-errors"])
            let currentETag = try server.awsETag(bucket: bucket, key: key)
            XCTAssertNotEqual(currentETag, listed.etag)

            let destination = scratch + "/replaced/video.bin"
            try FileManager.default.createDirectory(atPath: scratch + "/replaced", withIntermediateDirectories: true)
            switch server.kind {
            case .seaweedfs:
                XCTAssertEqual(ETag.kind(listed.etag), .multipart(String(listed.etag.prefix(32)), parts: 5),
                               "the aws CLI's 8 MiB parts: no MD5 to check, If-Match is the only guard")
                let fetched = try await client.download(bucket: bucket, key: key, to: destination, size: listed.size, listedETag: listed.etag)
                XCTAssertEqual(fetched.etag, currentETag, "the version that came down is named by its own ETag")
                XCTAssertEqual(try S3TestData.checksums(scratch + "/replaced"), try S3TestData.checksums(scratch + "/new"),
                               "the current version, byte for byte")
            case .rclone:
                do {
                    let fetched = try await client.download(bucket: bucket, key: key, to: destination, size: listed.size, listedETag: listed.etag)
                    XCTFail("an object replaced since the listing came down under the listed ETag: \(fetched)")
                } catch let error as S3Error {
                    XCTAssertEqual("\(error)", "s3://\(bucket)/\(key): the content's MD5 \(currentETag) does not match its ETag \(listed.etag)")
                }
                XCTAssertFalse(FileManager.default.fileExists(atPath: destination), "no file")
                XCTAssertFalse(FileManager.default.fileExists(atPath: destination + ".partial"), "no partial file")
            }
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    // MARK: - Errors

    func wrongCredentialsAreRejected() async throws {
        let bucket = try smallBucket("media-creds", files: 5)
        let dir = scratch + "/creds"
        let wrongSecret = "wrong-\(UUID().uuidString)"
        var caller = self.caller
        caller.secretKey = wrongSecret
        let record = S3CallRecord()
        let result = try await caller.run("s3.mirror", ["from": .string("s3://\(bucket)"), "to": .string(dir)], record: record)
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.message, "S3 rejected the credentials for endpoint \(server.endpoint): SignatureDoesNotMatch")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/file-0.bin"), "nothing was written")
        XCTAssertFalse(record.lines.joined().contains(wrongSecret))

        let reach = try await caller.run("s3.reachable", [:])
        XCTAssertFalse(reach.succeeded)
        XCTAssertEqual(reach.message, "S3 rejected the credentials for endpoint \(server.endpoint): SignatureDoesNotMatch")

        var badKey = self.caller
        badKey.accessKey = "no-such-key-\(UUID().uuidString.prefix(8))"
        let up = try await badKey.run("s3.mirror", ["from": .string(scratch), "to": .string("s3://\(bucket)")])
        XCTAssertFalse(up.succeeded)
        XCTAssertEqual(up.message, "S3 rejected the credentials for endpoint \(server.endpoint): InvalidAccessKeyId")
    }

    func missingBucketIsNamed() async throws {
        let down = try await caller.run("s3.mirror", ["from": .string("s3://no-such-bucket/x"), "to": .string(scratch + "/nb")])
        XCTAssertFalse(down.succeeded)
        XCTAssertEqual(down.message, "bucket \"no-such-bucket\" does not exist at S3 endpoint \(server.endpoint) (NoSuchBucket)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/nb"), "nothing was created locally")

        let source = scratch + "/nb-source"
        try S3TestData.writeSmallFiles(count: 3, into: source)
        let up = try await caller.run("s3.mirror", ["from": .string(source), "to": .string("s3://no-such-bucket")])
        XCTAssertFalse(up.succeeded)
        XCTAssertEqual(up.message, "bucket \"no-such-bucket\" does not exist at S3 endpoint \(server.endpoint) (NoSuchBucket)")

        let exists = try await caller.run("s3.bucket-exists", ["bucket": .string("no-such-bucket")])
        XCTAssertFalse(exists.succeeded)
        XCTAssertEqual(exists.message, "bucket \"no-such-bucket\" does not exist at S3 endpoint \(server.endpoint) (NoSuchBucket)")
    }

    /// `.partial` is made a link to /dev/full, whose writes fail with ENOSPC: the kernel's
    /// own disk-full error, on any machine, without filling a real disk.
    func diskFullLeavesNothingBehind() async throws {
        let bucket = try smallBucket("media-enospc", files: 1, bytes: 300_000)
        let dir = scratch + "/enospc"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/file-0.bin.partial", withDestinationPath: "/dev/full")
        let result = try await caller.run("s3.mirror", ["from": .string("s3://\(bucket)"), "to": .string(dir)])
        XCTAssertFalse(result.succeeded)
        let message = result.message ?? ""
        XCTAssertTrue(message.hasPrefix("disk full while writing \(dir)/file-0.bin.partial (ENOSPC)"), message)
        XCTAssertTrue(message.contains("removed \(dir)/file-0.bin.partial; nothing was put in place of \(dir)/file-0.bin"), message)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "neither the file nor its .partial remains")
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/file-0.bin.partial"))
    }

    /// A mirror cancelled part way leaves only complete files (and no .partial); a re-run
    /// copies exactly the rest.
    func interruptedMirrorResumes() async throws {
        let count = 200
        let bucket = try smallBucket("media-resume", files: count)
        let dir = scratch + "/resume"
        let inputs: [String: Value] = ["from": .string("s3://\(bucket)"), "to": .string(dir), "parallel": .int(2)]
        let caller = self.caller
        let handle = S3CancellableRun()
        // The mirror logs progress every 10%; the first such line interrupts it.
        let record = S3CallRecord { line in
            if line.contains("objects done") { handle.cancel() }
        }
        let task = Task { try await caller.run("s3.mirror", inputs, record: record) }
        handle.set(task)
        do {
            let result = try await task.value
            XCTFail("the mirror was not interrupted: \(result.message ?? "")")
            return
        } catch is CancellationError {
            // expected
        }
        let present = try S3TestData.checksums(dir)
        let source = try S3TestData.checksums(scratch + "/\(bucket)-source")
        XCTAssertGreaterThan(present.count, 0)
        XCTAssertLessThan(present.count, count, "the interruption came part way")
        for (key, sum) in present { XCTAssertEqual(sum, source[key], "\(key) is complete") }
        let partials = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix(".partial") }
        XCTAssertEqual(partials, [], "no partial file is left")

        let rerun = try await caller.run("s3.mirror", inputs)
        try S3Assert.succeeded(rerun)
        XCTAssertEqual(rerun.outputInt("copied"), count - present.count, "only what was missing is copied")
        XCTAssertEqual(rerun.outputInt("skipped"), present.count)
        try S3Assert.sameEntries(S3TestData.checksums(dir), source, "the resumed mirror")
    }

    func verifyManifestFindsChanges() async throws {
        let bucket = try smallBucket("media-verify", files: 10)
        let dir = scratch + "/verify"
        let manifest = scratch + "/verify.json"
        let down = try await caller.run("s3.mirror", ["from": .string("s3://\(bucket)"), "to": .string(dir), "manifest": .string(manifest)])
        try S3Assert.succeeded(down)
        let local = try await caller.run("s3.verify-manifest", ["manifest": .string(manifest), "location": .string(dir)])
        try S3Assert.succeeded(local)

        // Same size, different bytes: only the checksum can tell.
        let key = "file-3.bin"
        let size = try S3TestData.sizes(dir)[key] ?? 0
        let tampered = scratch + "/tampered.bin"
        var rng = S3TestRandom(seed: 7)
        try S3TestData.writeFile(tampered, bytes: Int(size), rng: &rng)
        _ = try server.aws(["s3", "cp", tampered, "s3://\(bucket)/\(key)", "--only-show-errors"])
        _ = try server.aws(["s3", "rm", "s3://\(bucket)/file-7.bin", "--only-show-errors"])

        let full = try await caller.run("s3.verify-manifest", ["manifest": .string(manifest), "location": .string("s3://\(bucket)")])
        XCTAssertFalse(full.succeeded)
        XCTAssertEqual(full.message, "s3://\(bucket)/ does not match manifest \(manifest): 1 missing (file-7.bin); 1 with a different sha256 (file-3.bin)")
        XCTAssertEqual(full.outputInt("problems"), 2)

        let sizesOnly = try await caller.run("s3.verify-manifest", ["manifest": .string(manifest), "location": .string("s3://\(bucket)"),
                                                                    "sizes_only": .bool(true)])
        XCTAssertFalse(sizesOnly.succeeded)
        XCTAssertEqual(sizesOnly.message, "s3://\(bucket)/ does not match manifest \(manifest): 1 missing (file-7.bin)",
                       "sizes only: the same-size change goes unseen, by design")
    }

    func checks() async throws {
        let reach = try await caller.run("s3.reachable", [:])
        try S3Assert.succeeded(reach)

        let created = try await caller.run("s3.create-bucket", ["bucket": .string("media-checks")])
        try S3Assert.succeeded(created)
        XCTAssertEqual(created.outputs["created"], .bool(true))
        let again = try await caller.run("s3.create-bucket", ["bucket": .string("media-checks")])
        try S3Assert.succeeded(again)
        XCTAssertEqual(again.outputs["created"], .bool(false), "an existing bucket is fine")
        XCTAssertNotNil(try server.awsListing(bucket: "media-checks"), "the aws CLI sees the bucket")

        let exists = try await caller.run("s3.bucket-exists", ["bucket": .string("media-checks")])
        try S3Assert.succeeded(exists)

        let empty = try await caller.run("s3.object-count", ["bucket": .string("media-checks")])
        XCTAssertFalse(empty.succeeded, "an empty bucket fails the default min_objects: 1")
        XCTAssertEqual(empty.message, "s3://media-checks/ holds 0 objects, 0 B; expected at least 1 objects and 0 bytes")

        let source = scratch + "/checks-source"
        try S3TestData.writeSmallFiles(count: 30, into: source)
        try server.awsUpload(directory: source, to: "s3://media-checks/")
        let sizes = try S3TestData.sizes(source)
        let photos = sizes.filter { $0.key.hasPrefix("photos/") }
        let total = photos.values.reduce(0, +)
        let enough = try await caller.run("s3.object-count", ["bucket": .string("media-checks"), "prefix": .string("photos"),
                                                              "min_objects": .int(photos.count), "min_bytes": .int(Int(total))])
        try S3Assert.succeeded(enough)
        XCTAssertEqual(enough.outputInt("objects"), photos.count)
        XCTAssertEqual(enough.outputInt("bytes"), Int(total))
        let tooFew = try await caller.run("s3.object-count", ["bucket": .string("media-checks"), "min_objects": .int(sizes.count + 1)])
        XCTAssertFalse(tooFew.succeeded)

        let wiped = try await caller.run("s3.empty-bucket", ["bucket": .string("media-checks"), "prefix": .string("photos")])
        try S3Assert.succeeded(wiped)
        XCTAssertEqual(wiped.outputInt("removed"), photos.count)
        XCTAssertEqual(try server.awsListing(bucket: "media-checks"), sizes.filter { !$0.key.hasPrefix("photos/") },
                       "only the prefix was emptied")
    }

    /// A prefix mirrors as a folder, with keys relative to it; `remove` with an empty source is refused.
    func prefixesAndTheEmptySourceGuard() async throws {
        let bucket = "media-prefix"
        let source = scratch + "/prefix-source"
        try S3TestData.writeSmallFiles(count: 40, into: source)
        _ = try server.aws(["s3", "mb", "s3://\(bucket)"])
        try server.awsUpload(directory: source, to: "s3://\(bucket)/")
        let dir = scratch + "/prefix"
        let down = try await caller.run("s3.mirror", ["from": .string("s3://\(bucket)/photos"), "to": .string(dir)])
        try S3Assert.succeeded(down)
        let expected = try S3TestData.checksums(source).filter { $0.key.hasPrefix("photos/") }
        XCTAssertEqual(try S3TestData.checksums(dir), Dictionary(uniqueKeysWithValues: expected.map { (String($0.key.dropFirst(7)), $0.value) }))

        _ = try server.aws(["s3", "mb", "s3://media-empty"])
        let refused = try await caller.run("s3.mirror", ["from": .string("s3://media-empty"), "to": .string(dir), "remove": .bool(true)])
        XCTAssertFalse(refused.succeeded)
        XCTAssertEqual(refused.message, "refusing to mirror: the source s3://media-empty/ is empty, and remove: true would delete all \(expected.count) entries at \(dir); nothing was changed")
        XCTAssertEqual(try S3TestData.checksums(dir).count, expected.count, "the backup is intact")
    }

    // MARK: - Helpers

    /// A bucket loaded by the aws CLI with `files` random files `file-N.bin`; the source stays in scratch.
    private func smallBucket(_ name: String, files: Int, bytes: Int = 2_000) throws -> String {
        let source = scratch + "/\(name)-source"
        var rng = S3TestRandom(seed: UInt64(name.utf8.count))
        for i in 0..<files { try S3TestData.writeFile(source + "/file-\(i).bin", bytes: bytes + i, rng: &rng) }
        _ = try server.aws(["s3", "mb", "s3://\(name)"])
        try server.awsUpload(directory: source, to: "s3://\(name)/")
        return name
    }

    private func md5(_ path: String) throws -> String {
        let out = S3Server.run(["md5sum", path], environment: S3Server.minimalEnvironment())
        guard out.status == 0 else { throw S3Server.HarnessError(description: "md5sum failed: \(out.stderr)") }
        return String(out.stdout.prefix(32))
    }

    private func assertNoSecret(in record: S3CallRecord, file: StaticString = #filePath, line: UInt = #line) {
        let text = record.lines.joined(separator: "\n") + record.events.map { "\($0.0) \($0.1)" }.joined()
        XCTAssertFalse(text.contains(server.secretKey), "the secret key never appears in logs or audit events", file: file, line: line)
    }
}

/// The shared data set of a suite: 1,000 small files and one large one, with checksums.
struct S3SuiteData {
    let root: String
    let bigKey = "video/big.bin"
    let bigBytes: Int
    let checksums: [String: String]
    let sizes: [String: Int64]
    var totalBytes: Int64 { sizes.values.reduce(0, +) }

    /// `RUNBOOK_S3_TEST_BIG_BYTES` overrides the large file's 200 MB for quick local runs.
    static func create() throws -> S3SuiteData {
        let root = try S3TestData.temporaryDirectory("data")
        try S3TestData.writeSmallFiles(count: 1_000, into: root)
        let bigBytes = ProcessInfo.processInfo.environment["RUNBOOK_S3_TEST_BIG_BYTES"].flatMap(Int.init) ?? 200_000_000
        let data = S3SuiteData(root: root, bigBytes: bigBytes, checksums: [:], sizes: [:])
        try S3TestData.writeRandomFile(root + "/" + data.bigKey, bytes: bigBytes)
        return S3SuiteData(root: root, bigBytes: bigBytes, checksums: try S3TestData.checksums(root), sizes: try S3TestData.sizes(root))
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// Lets a log callback cancel the task it runs in.
final class S3CancellableRun: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<ActionResult, Error>?
    private var cancelRequested = false

    func set(_ task: Task<ActionResult, Error>) {
        let cancelNow = lock.withLock { () -> Bool in
            self.task = task
            return cancelRequested
        }
        if cancelNow { task.cancel() }
    }

    func cancel() {
        let task = lock.withLock { () -> Task<ActionResult, Error>? in
            cancelRequested = true
            return self.task
        }
        task?.cancel()
    }
}
