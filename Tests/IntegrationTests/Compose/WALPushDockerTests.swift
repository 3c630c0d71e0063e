import Foundation
@testable import RunbookActions
import XCTest

/// `wal-archiving-setup --param offsite=true` on the compose path, on a real Docker Engine:
/// postgres-shared (the host's PostgreSQL 15 in the imported image) has the static `runbook`
/// binary bind-mounted read-only at a path that exists only inside its container, and
/// `runbook wal-push` runs there as archive_command, pushing encrypted segments to a real
/// `rclone serve s3` repository with its own credentials. The segments are read back with the
/// aws CLI and opened with the real `age` and the test's identity from `age-keygen`.
///
/// The container mounts the host's /usr and /etc but not /opt/swift, where the toolchain's
/// Swift runtime is: a binary that needs libswiftCore.so cannot run in it, as it could not in
/// the production postgres:15 image. The binary is `.build/static/runbook`
/// (scripts/static-runbook.sh, which scripts/test.sh runs), or `$RUNBOOK_STATIC_BIN`.
final class WALPushDockerTests: XCTestCase {
    private static let shared = SharedComposeStack()
    private static let service = "postgres-shared"
    /// Where the override compose file mounts the binary; nothing is at this path on the host.
    private static let mountedBinary = "/opt/runbook/bin/runbook"
    /// The debug build as it is, which needs the toolchain's libswiftCore.so, mounted beside it.
    private static let mountedDynamicBinary = "/opt/runbook/bin/runbook-dynamic"
    /// On the service's data volume (./volumes/postgres), beside the data directory.
    private static let walConfig = "/data/runbook-wal.json"
    private var stack: ComposeStack!
    private var repository: WALRepositoryFixture!
    private var work = ""

    override class func tearDown() {
        shared.release()
        super.tearDown()
    }

    override func tearDown() async throws {
        await repository?.close()
        try await super.tearDown()
    }

    // MARK: - Setup

    /// `$RUNBOOK_STATIC_BIN`, else `.build/static/runbook`; fails (never skips) when it is
    /// missing, older than the debug build, or needs the Swift runtime's shared libraries.
    static func staticBinary() throws -> String {
        let given = ProcessInfo.processInfo.environment["RUNBOOK_STATIC_BIN"] ?? ""
        let path = given.isEmpty ? ComposeStack.repositoryRoot + "/.build/static/runbook" : given
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw DockerEngine.HarnessError(description: "the static runbook binary \(path) is missing: build it with `bash scripts/static-runbook.sh` after `swift build --build-tests` (scripts/test.sh does both)")
        }
        let debug = PITRRunbookCLI.path
        if let built = try? FileManager.default.attributesOfItem(atPath: debug)[.modificationDate] as? Date,
           let linked = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date, linked < built {
            throw DockerEngine.HarnessError(description: "the static runbook binary \(path) is older than \(debug): run `bash scripts/static-runbook.sh` again")
        }
        let needs = try Host.run(["ldd", path]).split(separator: "\n").filter { $0.contains("libswift") || $0.contains("libFoundation") }
        guard needs.isEmpty else {
            throw DockerEngine.HarnessError(description: "\(path) needs the Swift runtime's shared libraries (\(needs.joined(separator: "; "))), which a postgres container lacks: build it with `bash scripts/static-runbook.sh`")
        }
        return path
    }

    /// A fresh postgres-shared (empty data volume, archiving off) with the static binary mounted,
    /// and an empty repository bucket.
    private func prepare() async throws {
        let binary = try Self.staticBinary()
        do {
            try DockerEngine.skipUnlessInstalled()
        } catch let skip as XCTSkip {
            // A missing tool fails the suite: CI installs Docker with scripts/setup.sh.
            throw DockerEngine.HarnessError(description: "\(skip.message ?? "Docker is not installed")")
        }
        stack = try Self.shared.acquire()
        try stack.compose(["down", "--remove-orphans"])
        try mountBinary(binary)
        let volume = stack.projectDir + "/volumes/postgres"
        try? FileManager.default.removeItem(atPath: volume)
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
        chown(volume, postgresUID, postgresGID)
        do {
            try stack.compose(["up", "-d", "--wait", "--wait-timeout", "120", Self.service])
        } catch {
            throw DockerEngine.HarnessError(description: "\(error)\n\(Self.service) logs:\n\((try? serverLog()) ?? "(none)")")
        }
        work = stack.engine.root + "/wal-push-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        repository = try await WALRepositoryFixture(owner: "root", directory: work + "/repository")
    }

    /// An override compose file that mounts the binary read-only into postgres-shared, chosen
    /// with COMPOSE_FILE in the project's .env so the runbook's `docker compose` sees it too.
    private func mountBinary(_ binary: String) throws {
        try """
            services:
              \(Self.service):
                volumes:
                  - \(binary):\(Self.mountedBinary):ro
                  - \(PITRRunbookCLI.path):\(Self.mountedDynamicBinary):ro

            """.write(toFile: stack.projectDir + "/docker-compose.runbook.yml", atomically: true, encoding: .utf8)
        let env = stack.projectDir + "/.env"
        var lines = try String(contentsOfFile: env, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("COMPOSE_FILE=") }
        lines.append("COMPOSE_FILE=\(stack.projectDir)/docker-compose.yml:\(stack.projectDir)/docker-compose.runbook.yml")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: env))
        chmod(env, 0o600)  // it holds the password
    }

    private var postgresUID: uid_t { getpwnam("postgres")?.pointee.pw_uid ?? 0 }
    private var postgresGID: gid_t { getpwnam("postgres")?.pointee.pw_gid ?? 0 }

    private func profile() throws -> String {
        let path = work + "/docker.yaml"
        let config = repository.config
        try """
            profile: docker-wal-push-test
            secrets:
              pg_password: {env: RUNBOOK_TEST_PG_PASSWORD}
              repo_access_key: {env: RUNBOOK_TEST_REPO_ACCESS_KEY}
              repo_secret_key: {env: RUNBOOK_TEST_REPO_SECRET_KEY}
              repo_identity: {env: RUNBOOK_REPO_IDENTITY}
            targets:
            \(stack.profileTargets(db: ["data_dir: /data/pgdata", "bin_dir: /usr/lib/postgresql/15/bin"]))
              offsite:
                repository:
                  endpoint: \(config.endpoint)
                  bucket: \(config.bucket)
                  prefix: \(config.prefix)
                  access_key: "${secrets.repo_access_key}"
                  secret_key: "${secrets.repo_secret_key}"
                  recipients: [\(config.recipients[0])]

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The shipped runbook through the built CLI, as an operator runs it; credentials only in
    /// the environment, and never in the output.
    private func setUpArchiving(binary: String) throws -> (status: Int32, text: String) {
        let output = try ComposeRunbookCLI.run([
            "run", "wal-archiving-setup", "--profile", try profile(), "--state-dir", work + "/state", "--yes",
            "--param", "offsite=true", "--param", "runbook_binary=\(binary)", "--param", "wal_config=\(Self.walConfig)",
            "--param", "archive_timeout=30s",
        ], secrets: [
            "RUNBOOK_TEST_PG_PASSWORD": stack.pgPassword,
            "RUNBOOK_TEST_REPO_ACCESS_KEY": repository.config.accessKey,
            "RUNBOOK_TEST_REPO_SECRET_KEY": repository.config.secretKey,
        ])
        XCTAssertFalse(output.text.contains(repository.config.secretKey), "the repository's secret key is in the run's output")
        XCTAssertFalse(output.text.contains(stack.pgPassword), "the database password is in the run's output")
        return output
    }

    // MARK: - Looking from outside (independent of the code under test)

    @discardableResult
    private func psql(_ sql: String) throws -> String { try stack.psql("postgres", sql) }

    private func serverLog() throws -> String { try stack.compose(["logs", "--no-color", Self.service]) }

    private func archivingSettings() throws -> String {
        try psql("SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('archive_command', 'archive_mode', 'wal_level')")
    }

    /// The repository's keys for `segment`, listed by the aws CLI with the repository's credentials.
    private func listed(_ segment: String) throws -> [String] {
        let out = try Host.run(["aws", "--endpoint-url", repository.config.endpoint, "s3api", "list-objects-v2",
                                "--bucket", repository.config.bucket, "--prefix", repository.config.prefix + "wal/" + segment + ".",
                                "--query", "Contents[].Key", "--output", "text"], environment: awsEnvironment)
        return out.split(whereSeparator: { $0 == "\t" || $0 == "\n" }).map(String.init).filter { $0 != "None" }
    }

    private var awsEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = repository.config.accessKey
        env["AWS_SECRET_ACCESS_KEY"] = repository.config.secretKey
        env["AWS_DEFAULT_REGION"] = "us-east-1"
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        return env
    }

    // MARK: - Tests

    func testWalPushRunsInsideThePostgresContainerAndTheSegmentOpensWithAge() async throws {
        try await prepare()
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.mountedBinary), "\(Self.mountedBinary) must exist only inside the container")
        // Like a postgres:15 image, the container has no Swift runtime for the binary to load.
        XCTAssertThrowsError(try stack.compose(["exec", "-T", Self.service, "test", "-e", "/opt/swift/usr/lib/swift/linux/libswiftCore.so"]),
                             "the container sees the toolchain's Swift runtime")
        let run = try setUpArchiving(binary: Self.mountedBinary)
        XCTAssertEqual(run.status, 0, "wal-archiving-setup failed:\n\(run.text)\n\(Self.service) logs:\n\((try? serverLog()) ?? "")")
        guard run.status == 0 else { return }
        XCTAssertEqual(try psql("SHOW archive_command"), "\(Self.mountedBinary) wal-push --config \(Self.walConfig) %p")

        // The configuration on the data volume: 0600, the server user's, no identity in it.
        let hostConfig = stack.projectDir + "/volumes/postgres/runbook-wal.json"
        var info = stat()
        XCTAssertEqual(stat(hostConfig, &info), 0, "\(Self.walConfig) is not on the volume")
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(info.st_uid, postgresUID)
        let written = try JSONDecoder().decode(RepositoryConfig.self, from: Data(contentsOf: URL(fileURLWithPath: hostConfig)))
        XCTAssertEqual(written, repository.config)
        XCTAssertFalse(try String(contentsOfFile: hostConfig, encoding: .utf8).contains("AGE-SECRET-KEY"))

        // A write with a marker, then the segment holding it is switched out.
        let marker = "wal-push-in-container-" + UUID().uuidString
        try psql("CREATE TABLE docker_wal (note text NOT NULL)")
        try psql("INSERT INTO docker_wal VALUES ('\(marker)')")
        let segment = try psql("SELECT pg_walfile_name(pg_current_wal_lsn())")
        try psql("SELECT pg_switch_wal()")
        var keys: [String] = []
        let deadline = Date().addingTimeInterval(30)
        while keys.isEmpty && Date() < deadline {
            keys = try listed(segment)
            if keys.isEmpty { usleep(250_000) }
        }
        XCTAssertEqual(keys.count, 1, "\(segment) in the repository: \(keys)\n\(Self.service) logs:\n\((try? serverLog()) ?? "")")
        let key = try XCTUnwrap(keys.first)
        let sha = try XCTUnwrap(key.split(separator: ".").dropLast().last.map(String.init))
        XCTAssertEqual(key, repository.config.prefix + "wal/\(segment).\(sha).age")

        // Opened with the real age CLI and the test's identity: the plaintext's sha256 is the key's.
        let cipher = work + "/segment.age", plain = work + "/segment"
        try Host.run(["aws", "--endpoint-url", repository.config.endpoint, "s3", "cp", "--only-show-errors",
                      "s3://\(repository.config.bucket)/\(key)", cipher], environment: awsEnvironment)
        try AgeCLI.run(["age", "-d", "-i", repository.identityPath, "-o", plain, cipher], in: work)
        XCTAssertEqual(try AgeCLI.sha256(plain), sha)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: plain))
        XCTAssertEqual(bytes.count, 16 << 20, "a whole WAL segment")
        XCTAssertNotNil(bytes.range(of: Data(marker.utf8)), "the segment holds the marker row written before the switch")

        // Archived by the server's archiver, in the container, through the only path where the
        // binary exists: PostgreSQL counts it archived and no attempt failed.
        // The key is listed once the PUT completes, a moment before wal-push exits and the
        // archiver records it: poll.
        var archiver = ""
        let recorded = Date().addingTimeInterval(15)
        repeat {
            archiver = try psql("SELECT last_archived_wal >= '\(segment)', failed_count FROM pg_stat_archiver")
            if archiver.hasPrefix("f") { usleep(200_000) }
        } while archiver.hasPrefix("f") && Date() < recorded
        XCTAssertEqual(archiver, "t|0", "pg_stat_archiver (archived, failed):\n\((try? serverLog()) ?? "")")
        let processes = try stack.compose(["top", Self.service])
        XCTAssertTrue(processes.contains("postgres: archiver"), "the archiver runs in the container:\n\(processes)")
        for path in [Self.mountedBinary, Self.walConfig] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "archive_command names \(path), which must exist only in the container")
        }
    }

    func testAMissingOrNotStaticBinaryInTheContainerIsRefusedBeforeArchiveCommandChanges() async throws {
        try await prepare()
        let before = try archivingSettings()
        let missing = "/opt/runbook/bin/not-mounted"
        let run = try setUpArchiving(binary: missing)
        XCTAssertNotEqual(run.status, 0, run.text)
        XCTAssertTrue(run.text.contains("running \(missing) as the server user"), run.text)
        XCTAssertTrue(run.text.contains("mount the static binary into the container"), run.text)
        XCTAssertEqual(try archivingSettings(), before, "the archiving settings changed")

        let needsRuntime = try Host.run(["ldd", PITRRunbookCLI.path]).contains("libswiftCore.so")
        XCTAssertTrue(needsRuntime, "\(PITRRunbookCLI.path) should be the ordinary debug build, which loads libswiftCore.so")
        let dynamic = try setUpArchiving(binary: Self.mountedDynamicBinary)
        XCTAssertNotEqual(dynamic.status, 0, dynamic.text)
        XCTAssertTrue(dynamic.text.contains("running \(Self.mountedDynamicBinary) as the server user"), dynamic.text)
        XCTAssertTrue(dynamic.text.contains("error while loading shared libraries: libswift"), dynamic.text)
        XCTAssertEqual(try archivingSettings(), before, "the archiving settings changed")
        XCTAssertEqual(try psql("SELECT count(*) FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf' AND name LIKE 'archive%'"), "0",
                       "ALTER SYSTEM wrote archiving settings")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stack.projectDir + "/volumes/postgres/runbook-wal.json"), "the configuration was written")
        let keys = try await repository.keys()
        XCTAssertEqual(keys, [])
    }

    /// `pitr --param source=repository` on the compose path: the base backup streamed to the
    /// repository from the container is fetched (sha256 checked) into the backups volume, where
    /// the one-off container that unpacks it reads it; restore_command is `runbook wal-fetch`
    /// inside the container, with its configuration and identity files beside the data directory
    /// (on the volume), removed after the promotion. To a time between two batches: every table
    /// equals its state after the first, by md5 of its ordered rows.
    func testPITRFromTheRepositoryFetchesWALInsideThePostgresContainer() async throws {
        try await prepare()
        chown(stack.projectDir + "/volumes/backups", postgresUID, postgresGID)
        let setup = try setUpArchiving(binary: Self.mountedBinary)
        XCTAssertEqual(setup.status, 0, setup.text)
        guard setup.status == 0 else { return }
        try psql("CREATE TABLE ledger (id int primary key, amount int); INSERT INTO ledger SELECT g, g * 3 FROM generate_series(1, 300) g")
        let secrets = [
            "RUNBOOK_TEST_PG_PASSWORD": stack.pgPassword,
            "RUNBOOK_TEST_REPO_ACCESS_KEY": repository.config.accessKey,
            "RUNBOOK_TEST_REPO_SECRET_KEY": repository.config.secretKey,
            "RUNBOOK_REPO_IDENTITY": try String(contentsOfFile: repository.identityPath, encoding: .utf8),
        ]
        let common = ["--profile", try profile(), "--state-dir", work + "/state", "--yes"]
        try ComposeRunbookCLI.succeed(["run", "base-backup"] + common + ["--param", "offsite=true", "--param", "keep_local=false"], secrets: secrets)
        try psql("UPDATE ledger SET amount = amount + 1 WHERE id <= 100; INSERT INTO ledger SELECT g, 7 FROM generate_series(301, 400) g")
        let expected = try TableChecksums.of { try self.psql($0) }
        usleep(1_100_000)
        let clock = try psql("SELECT extract(epoch FROM clock_timestamp())")
        let between = try XCTUnwrap(Instant.parseEpoch(clock))
        usleep(1_100_000)
        try psql("DELETE FROM ledger WHERE id > 200; INSERT INTO ledger SELECT g, 9 FROM generate_series(500, 600) g")
        XCTAssertNotEqual(try TableChecksums.of { try self.psql($0) }, expected)

        // A time target: pg_waldump reads the newest segments in the container, copied beside the data directory.
        let out = try ComposeRunbookCLI.run(["run", "pitr"] + common + ["--param", "source=repository", "--param", "target_time=\(between.postgresText)",
                                                                         "--param", "runbook_binary=\(Self.mountedBinary)"], secrets: secrets)
        XCTAssertEqual(out.status, 0, "\(out.text)\n\(Self.service) logs:\n\((try? serverLog()) ?? "")")
        guard out.status == 0 else { return }
        XCTAssertEqual(try psql("SELECT pg_is_in_recovery()"), "f")
        XCTAssertEqual(try TableChecksums.of { try self.psql($0) }, expected, "every table as it was at the target: the first batch, not the second")
        XCTAssertTrue(out.text.contains("is after the target"), "the archive check read a commit after the target with pg_waldump:\n\(out.text)")
        XCTAssertTrue(try serverLog().contains("restored log file"), "the server fetched WAL with restore_command in its container")
        let volume = stack.projectDir + "/volumes/postgres"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: volume).filter { $0.contains(".wal-fetch-") || $0.contains(".waldump-") }, [],
                       "the identity and configuration for wal-fetch, and the segments read by pg_waldump, are removed")
        XCTAssertFalse(out.text.contains("AGE-SECRET-KEY"), "the identity must never be printed")
        XCTAssertFalse(try String(contentsOfFile: volume + "/pgdata/postgresql.auto.conf", encoding: .utf8).contains("AGE-SECRET-KEY"))
        for file in FileManager.default.enumerator(atPath: work + "/state")?.compactMap({ $0 as? String }) ?? [] {
            let text = (try? String(contentsOfFile: work + "/state/" + file, encoding: .utf8)) ?? ""
            XCTAssertFalse(text.contains("AGE-SECRET-KEY"), "the identity is in the state directory's \(file)")
        }
    }
}
