import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// Resuming a `keep_local: true` offsite backup whose dump was completed and recorded locally but
/// not pushed (the repository was unreachable, or the run was killed during the push): the
/// resumed step pushes the recorded file, or takes an identical copy the repository already lists.
extension OffsiteBackupTests {
    /// Points the profile at a bucket that does not exist yet, so every push fails after the
    /// local artifact was recorded; returns that bucket's name.
    func pointProfileAtMissingBucket() throws -> String {
        let late = "late-\(UUID().uuidString.prefix(8).lowercased())"
        let profile = try String(contentsOfFile: cli.profilePath, encoding: .utf8)
        try profile.replacingOccurrences(of: "bucket: \(bucket)", with: "bucket: \(late)")
            .write(toFile: cli.profilePath, atomically: true, encoding: .utf8)
        return late
    }

    func resume(_ runID: String) throws -> (status: Int32, output: String) {
        let log = cli.state + "-resume-" + UUID().uuidString.prefix(6) + ".log"
        let argv = [try RunbookCLI.binary(), "resume", runID, "--state-dir", cli.state, "--yes"]
        let status = try ChildProcess.spawn(argv, environment: environment, stdout: log, stderr: log).wait()
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Everything the run's journal holds (step messages included), as text.
    func journalText(_ runID: String) -> String {
        let root = cli.state + "/runs/" + runID
        let paths = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return paths.compactMap { try? String(contentsOfFile: root + "/" + $0, encoding: .utf8) }.joined(separator: "\n")
    }

    func onlyRunID() throws -> String {
        try XCTUnwrap(files(cli.state + "/runs").first { !$0.hasPrefix(".") })
    }

    /// A backup whose dump is recorded locally while its push fails (no such bucket); then the
    /// bucket is created. Returns the run's id, the local record and a store on that bucket.
    func failedPushThenBucketCreated() async throws -> (runID: String, record: DumpRecord, store: RepositoryStore) {
        let late = try pointProfileAtMissingBucket()
        let failed = try backup(params(keepLocal: true, databases: ["user_service_db"]))
        XCTAssertNotEqual(failed.status, 0, failed.output)
        XCTAssertTrue(failed.output.contains("is complete and recorded locally, but pushing it to"), failed.output)
        let records = try ManifestStore(directory: backups).read().artifacts
        let record = try XCTUnwrap(records.first { $0.database == "user_service_db" }, "\(records)")
        XCTAssertNil(record.offsite, "not pushed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: backups + "/" + record.path))
        _ = try await raw.createBucket(late)
        let config = RepositoryConfig(endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey,
                                      bucket: late, prefix: "test/", recipients: store.config.recipients)
        return (try onlyRunID(), record, try RepositoryStore(config: config))
    }

    func testResumingAKeepLocalBackupPushesTheDumpThatWasRecordedButNotPushed() async throws {
        let (runID, record, late) = try await failedPushThenBucketCreated()
        defer { Task { await late.shutdown() } }

        let resumed = try resume(runID)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertFalse(resumed.output.contains("already exists"), resumed.output)
        XCTAssertTrue(journalText(runID).contains("not yet pushed; pushed to offsite as dumps/\(record.path)"), journalText(runID))
        let name = "dumps/" + record.path
        let entries = try await late.entries(namespace: "dumps")
        let entry = try XCTUnwrap(entries[name], "\(entries.keys)")
        XCTAssertEqual(entry.plaintextSHA256, record.sha256)
        XCTAssertEqual(entry.plaintextSize, record.size)
        // The local record now says where its offsite copy is, and the copy decrypts to the file.
        let local = try XCTUnwrap(try ManifestStore(directory: backups).read().record(named: record.path))
        XCTAssertEqual(local.offsite?.key, entry.key)
        XCTAssertEqual(local.offsite?.localCopy, true)
        let pulled = work + "/pulled.dump"
        try await late.pull(name: name, to: pulled, identities: try AgeIdentityFile.load(path: work + "/key.txt"))
        XCTAssertEqual(try DumpDigest.sha256(of: pulled), record.sha256)
        // The resumed run went on to the globals and listed them too.
        XCTAssertEqual(entries.keys.filter { $0.hasPrefix("dumps/globals-") }.count, 1, "\(entries.keys)")
    }

    func testResumingTakesAnIdenticalCopyTheRepositoryAlreadyListsInsteadOfPushingAgain() async throws {
        let (runID, record, late) = try await failedPushThenBucketCreated()
        defer { Task { await late.shutdown() } }
        // As a run killed after the repository listed the push, before the local manifest recorded it.
        let name = "dumps/" + record.path
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: backups + "/" + record.path))
        let earlier = try await late.push(name: name, from: handle, metadata: try OffsiteDestination.metadata(record))
        try handle.close()

        let resumed = try resume(runID)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(journalText(runID).contains("\(name) was already listed with the same sha256, not pushed again"), journalText(runID))
        let entry = try await late.entry(name)
        XCTAssertEqual(entry.key, earlier.key, "the listed copy was kept, not replaced")
        let local = try XCTUnwrap(try ManifestStore(directory: backups).read().record(named: record.path))
        XCTAssertEqual(local.offsite?.key, earlier.key)
    }
}
