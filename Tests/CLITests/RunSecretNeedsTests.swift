import Foundation
import XCTest

/// A run resolves only the secrets of steps that will run: `media=false` skips the nested
/// media mirror, so its S3 key need not be set; with `media=true` the missing key stops
/// the run before its first step, and `plan` names the secrets either way.
final class RunSecretNeedsTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    static let profile = RunHarness.packageRoot + "/Tests/CLITests/Fixtures/profiles/media.yaml"
    /// The environment without the key, whatever the machine running the tests has set.
    static let unset = ["RB_CLI_MINIO_SECRET_KEY": ""]

    func testASkippedStepsSecretIsNotDemanded() throws {
        let r = try h.run(["run", "media-optional", "--param", "media=false", "--profile", Self.profile], env: Self.unset)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertFalse((r.stdout + r.stderr).contains("secret-unavailable"), r.stdout + r.stderr)
        XCTAssertEqual(h.log, ["mark"])
        XCTAssertTrue(r.stdout.contains("when: ${params.media} is false"), r.stdout)
    }

    func testANeededSecretThatIsMissingStopsTheRunBeforeItsFirstStep() throws {
        let r = try h.run(["run", "media-optional", "--param", "media=true", "--profile", Self.profile], env: Self.unset)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertEqual(r.stderr, "\(Self.profile):3:3: error: secret \"minio_secret_key\": environment variable RB_CLI_MINIO_SECRET_KEY is not set [secret-unavailable]\n")
        XCTAssertEqual(h.log, [], "no step may run")
        XCTAssertEqual(h.runIDs, [], "no run may start")
    }

    /// The case on the shipped backup runbook and production profile: without media,
    /// only the database password is demanded (and, unset here, refused before any step).
    func testShippedBackupWithoutMediaDemandsNoMinioKey() throws {
        let unset = ["AQSTREAM_PG_PASSWORD": "", "AQSTREAM_MINIO_ACCESS_KEY": "", "AQSTREAM_MINIO_SECRET_KEY": ""]
        func missing(_ line: Int, _ name: String, _ variable: String) -> String {
            "profiles/production.yaml:\(line):3: error: secret \"\(name)\": environment variable \(variable) is not set and file /etc/aqstream/secrets/\(name) cannot be read: No such file or directory [secret-unavailable]\n"
        }
        let withoutMedia = try RunbookBinary.run(["run", "backup", "--param", "media=false", "--profile", "production", "--state-dir", h.state],
                                                 environment: unset)
        XCTAssertEqual(withoutMedia.status, 1, withoutMedia.stdout)
        XCTAssertEqual(withoutMedia.stderr, missing(8, "pg_password", "AQSTREAM_PG_PASSWORD"))
        let withMedia = try RunbookBinary.run(["run", "backup", "--profile", "production", "--state-dir", h.state], environment: unset)
        XCTAssertEqual(withMedia.stderr, missing(8, "pg_password", "AQSTREAM_PG_PASSWORD")
                       + missing(12, "minio_access_key", "AQSTREAM_MINIO_ACCESS_KEY") + missing(15, "minio_secret_key", "AQSTREAM_MINIO_SECRET_KEY"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.state), "a refused run leaves no state")
    }

    func testPlanSaysWhichSecretsTheRunWillNeed() throws {
        func plan(_ media: Bool) throws -> RunHarness.Result {
            try h.run(["plan", "media-optional", "--param", "media=\(media)", "--param", "dir=\(h.work)", "--profile", Self.profile,
                       "--runbooks-dir", RunHarness.runbooksDir], env: Self.unset)
        }
        let skipped = try plan(false)
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stdout.contains("\nSecrets: none\n"), skipped.stdout)
        let mirrored = try plan(true)
        XCTAssertEqual(mirrored.status, 0, mirrored.stderr)
        XCTAssertTrue(mirrored.stdout.contains("\nSecrets: minio_secret_key\n"), mirrored.stdout)
    }
}
