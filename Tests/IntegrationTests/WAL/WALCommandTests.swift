import Crypto
import Foundation
@testable import RunbookActions
import XCTest

/// `runbook wal-push` and `runbook wal-fetch` as PostgreSQL runs them, against a real
/// `rclone serve s3` repository with keys from the real `age-keygen`: PostgreSQL's archive
/// contract (never overwrite a different file, succeed on an identical retry, a missing file is
/// a quick exit 1) and the refusals (tampered object, wrong identity, a config others can read).
final class WALCommandTests: XCTestCase {
    var repository: WALRepositoryFixture!

    override func setUp() async throws {
        repository = try await WALRepositoryFixture(owner: "root")
    }

    override func tearDown() async throws {
        await repository?.close()
    }

    var dir: String { repository.dir }

    /// A file with a segment's name and `size` random bytes; returns its sha256.
    func segment(_ name: String, size: Int = 1 << 20, in folder: String = "pg_wal") throws -> (path: String, sha: String) {
        try FileManager.default.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true)
        let path = dir + "/" + folder + "/" + name
        return (path, try AgeCLI.writeRandom(path, size: size))
    }

    func testAPushedSegmentIsAnAgeFileUnderItsNameAndSha256AndFetchesBackIdentical() async throws {
        let (path, sha) = try segment("000000010000000000000003")
        let push = try repository.runbook(["wal-push", "--config", repository.configPath, path])
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertEqual(push.stderr, "")
        let keys = try await repository.keys()
        XCTAssertEqual(keys, ["prod/wal/000000010000000000000003.\(sha).age"])

        // Encrypted at rest: the real age CLI opens it with the identity, and nothing else is stored.
        let stored = try await repository.download(keys[0])
        XCTAssertTrue(stored.starts(with: Data("age-encryption.org/v1\n".utf8)))
        try stored.write(to: URL(fileURLWithPath: dir + "/stored.age"))
        try AgeCLI.run(["age", "-d", "-i", repository.identityPath, "-o", dir + "/by-age", dir + "/stored.age"], in: dir)
        XCTAssertEqual(try AgeCLI.sha256(dir + "/by-age"), sha)

        let fetch = try repository.runbook(["wal-fetch", "--config", repository.configPath, "--identity", repository.identityPath,
                                            "000000010000000000000003", dir + "/RECOVERYXLOG"])
        XCTAssertEqual(fetch.status, 0, fetch.stderr)
        XCTAssertEqual(try AgeCLI.sha256(dir + "/RECOVERYXLOG"), sha)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/RECOVERYXLOG.partial"))
    }

    func testAnIdenticalRetrySucceedsAndADifferentFileUnderTheSameNameIsRefused() async throws {
        let (path, sha) = try segment("000000010000000000000007")
        XCTAssertEqual(try repository.runbook(["wal-push", "--config", repository.configPath, path]).status, 0)
        let retry = try repository.runbook(["wal-push", "--config", repository.configPath, path])
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertEqual(retry.stderr, "runbook wal-push: 000000010000000000000007 was already archived with the same contents\n")

        let (other, otherSHA) = try segment("000000010000000000000007", in: "other")
        let refused = try repository.runbook(["wal-push", "--config", repository.configPath, other])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasPrefix("runbook wal-push: error: 000000010000000000000007 is already archived with different contents (sha256 \(sha.prefix(12))…, this one \(otherSHA.prefix(12))…); refusing to overwrite it"), refused.stderr)
        let keys = try await repository.keys()
        XCTAssertEqual(keys, ["prod/wal/000000010000000000000007.\(sha).age"], "the archived copy is untouched")
    }

    func testHistoryAndBackupFilesArchiveTooAndOtherNamesAreRefused() async throws {
        for name in ["00000002.history", "000000010000000000000002.00000028.backup", "000000010000000000000009.partial"] {
            let (path, _) = try segment(name, size: 200)
            let push = try repository.runbook(["wal-push", "--config", repository.configPath, path])
            XCTAssertEqual(push.status, 0, "\(name): \(push.stderr)")
        }
        let (stray, _) = try segment("notes.txt", size: 10)
        let refused = try repository.runbook(["wal-push", "--config", repository.configPath, stray])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "runbook wal-push: error: \"notes.txt\" is not a WAL file name (segment, .partial, .backup or .history)\n")
        let keys = try await repository.keys()
        XCTAssertEqual(keys.count, 3, "\(keys)")
    }

    func testAMissingFileIsAQuickExit1AndLeavesNothing() throws {
        let started = Date()
        let fetch = try repository.runbook(["wal-fetch", "--config", repository.configPath, "--identity", repository.identityPath,
                                            "00000002.history", dir + "/RECOVERYHISTORY"])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(fetch.status, 1, fetch.stderr)
        XCTAssertEqual(fetch.stderr, "runbook wal-fetch: 00000002.history is not in the repository\n")
        XCTAssertLessThan(elapsed, 2, "restore_command is asked for missing files all the time; it must answer quickly")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/RECOVERYHISTORY"))
    }

    func testATamperedSegmentOrAWrongIdentityAbortsRecoveryWithExit126AndWritesNothing() async throws {
        let (path, _) = try segment("000000010000000000000004")
        XCTAssertEqual(try repository.runbook(["wal-push", "--config", repository.configPath, path]).status, 0)
        let key = try await repository.keys()[0]

        let wrong = dir + "/wrong.txt"
        _ = try AgeCLI.keygen(wrong)
        let refused = try repository.runbook(["wal-fetch", "--config", repository.configPath, "--identity", wrong,
                                              "000000010000000000000004", dir + "/RECOVERYXLOG"])
        XCTAssertEqual(refused.status, 126, "above 125, PostgreSQL stops recovery instead of ending it early")
        XCTAssertTrue(refused.stderr.hasPrefix("runbook wal-fetch: error: 000000010000000000000004: "), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("AGE-SECRET-KEY"), "no key in the error")

        var stored = try await repository.download(key)
        stored[stored.count - 100] ^= 0x01
        try await repository.upload(key, stored)
        let tampered = try repository.runbook(["wal-fetch", "--config", repository.configPath, "--identity", repository.identityPath,
                                               "000000010000000000000004", dir + "/RECOVERYXLOG"])
        XCTAssertEqual(tampered.status, 126, tampered.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/RECOVERYXLOG"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/RECOVERYXLOG.partial"))
    }

    func testAConfigOrIdentityOthersCanReadIsRefused() throws {
        chmod(repository.configPath, 0o644)
        let (path, _) = try segment("000000010000000000000005")
        let push = try repository.runbook(["wal-push", "--config", repository.configPath, path])
        XCTAssertEqual(push.status, 1)
        XCTAssertEqual(push.stderr, "runbook wal-push: error: \(repository.configPath): the repository configuration holds secrets but its mode is 644; it must be 0600 (chmod 600)\n")
        chmod(repository.configPath, 0o600)
        chmod(repository.identityPath, 0o640)
        let fetch = try repository.runbook(["wal-fetch", "--config", repository.configPath, "--identity", repository.identityPath,
                                            "000000010000000000000005", dir + "/X"])
        XCTAssertEqual(fetch.status, 126)
        XCTAssertTrue(fetch.stderr.contains("the identity file holds secrets but its mode is 640"), fetch.stderr)
    }
}
