import Foundation
@testable import RunbookActions
import XCTest

/// The shipped `wal-archiving-setup` runbook with `offsite=true`, on a real PostgreSQL 15
/// (`via: local`) and a real `rclone serve s3` repository: it writes the private configuration
/// file for the server user, sets archive_command to `runbook wal-push`, and its verify check
/// sees a switched segment listed in the repository. No credential in the run's output.
final class WALArchivingSetupTests: WALClusterTestCase {
    func writeProfile() throws -> String {
        let path = cluster.root + "/offsite-profile.yaml"
        let config = repository.config
        try """
            profile: wal-offsite-test
            secrets:
              repo_access_key: {env: WAL_TEST_REPO_ACCESS_KEY}
              repo_secret_key: {env: WAL_TEST_REPO_SECRET_KEY}
            targets:
              db:
                postgres: {via: local, host: \(cluster.socketDir), port: \(cluster.port), user: \(PITRCluster.superuser), data_dir: \(cluster.dataDir), bin_dir: \(PITRCluster.binDir)}
              offsite:
                repository:
                  endpoint: \(config.endpoint)
                  bucket: \(config.bucket)
                  prefix: \(config.prefix)
                  access_key: ${secrets.repo_access_key}
                  secret_key: ${secrets.repo_secret_key}
                  recipients: [\(config.recipients[0])]

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testOffsiteSetupWritesAPrivateConfigAndArchivesWithWalPush() async throws {
        let binary = try RunbookCLI.binary()
        let walConfig = cluster.root + "/runbook-wal.json"
        var argv = [binary, "run", "wal-archiving-setup", "--profile", try writeProfile(), "--state-dir", cluster.stateDir, "--yes",
                    "--runbooks-dir", PITRRunbookCLI.repoRoot + "/runbooks"]
        for (k, v) in [("offsite", "true"), ("runbook_binary", binary), ("wal_config", walConfig), ("archive_timeout", "5s")] {
            argv += ["--param", "\(k)=\(v)"]
        }
        var env = ProcessInfo.processInfo.environment
        env["WAL_TEST_REPO_ACCESS_KEY"] = repository.config.accessKey
        env["WAL_TEST_REPO_SECRET_KEY"] = repository.config.secretKey
        env["NO_COLOR"] = "1"
        let log = cluster.root + "/run.log"
        let status = try ChildProcess.spawn(argv, environment: env, stdout: log, stderr: log).wait()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("segment 0000000"), output)
        XCTAssertFalse(output.contains(repository.config.secretKey), "the repository's secret key is in the run's output")

        // The configuration: 0600, the server user's, exactly the repository's settings.
        var info = stat()
        XCTAssertEqual(stat(walConfig, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(info.st_uid, getpwnam(PITRCluster.osUserName)!.pointee.pw_uid)
        let written = try JSONDecoder().decode(RepositoryConfig.self, from: Data(contentsOf: URL(fileURLWithPath: walConfig)))
        XCTAssertEqual(written, repository.config)
        XCTAssertEqual(try cluster.psql("SHOW archive_command"), "\(binary) wal-push --config \(walConfig) %p")

        // What the verify check saw: an encrypted segment in the repository.
        let keys = try await repository.keys()
        XCTAssertFalse(keys.isEmpty)
        for key in keys {
            let stored = try await repository.download(key)
            XCTAssertTrue(stored.starts(with: Data("age-encryption.org/v1\n".utf8)), key)
        }
        let journal = try FileManager.default.subpathsOfDirectory(atPath: cluster.stateDir).compactMap {
            try? String(contentsOfFile: cluster.stateDir + "/" + $0, encoding: .utf8)
        }.joined()
        XCTAssertFalse(journal.contains(repository.config.secretKey), "the secret key is in the state directory (journal/audit)")
    }
}
