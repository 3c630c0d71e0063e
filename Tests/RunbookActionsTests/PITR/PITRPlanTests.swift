import XCTest
import RunbookCore
import RunbookEngine
@testable import RunbookActions

/// The argv each action plans: exactly what `run` executes (no shell anywhere).
/// A profile with a local and a compose-managed server, and calls bound against it.
struct PITRFixture {
    static let here = SourceLocation(file: "profile.yaml", line: 1, column: 1)
    static let local = PostgresTarget(via: .local, host: "/run/pg", port: 5433, user: "aqstream",
                                      dataDir: "/srv/pg/data/", binDir: "/usr/lib/postgresql/15/bin")
    static let compose = PostgresTarget(via: .compose, user: "aqstream", passwordSecret: "pg_password", compose: "stack",
                                        service: "postgres-shared", dataDir: "/var/lib/postgresql/data/pgdata")
    static let profile = Profile(name: "t", path: "t.yaml", targets: [
        TargetDecl(name: "db", binding: .postgres(local), location: here),
        TargetDecl(name: "prod", binding: .postgres(compose), location: here),
        TargetDecl(name: "stack", binding: .compose(ComposeTarget(projectDir: "/opt/aqstream", projectName: "aqstream")), location: here),
    ])
    let context = PlanContext(profile: PITRFixture.profile, runID: "20240115-r1", stateDir: "/tmp/state")

    func call(_ action: any ExecutableAction, target: String = "db", _ inputs: [String: Value]) -> ResolvedCall {
        var all = inputs
        all["target"] = .string(target)
        for spec in action.spec.inputs where all[spec.name] == nil {
            if let d = spec.defaultValue { all[spec.name] = d }
        }
        return ResolvedCall(spec: action.spec, stepID: "s", inputs: all, targets: ["target": Self.profile.target(target)!])
    }

    static func argv(_ ops: [PlannedOperation]) -> [[String]] {
        ops.compactMap { if case .command(let c) = $0 { return c.argv } else { return nil } }
    }
}

final class PITRPlanTests: XCTestCase {
    let fixture = PITRFixture()
    var context: PlanContext { fixture.context }

    func call(_ action: any ExecutableAction, target: String = "db", _ inputs: [String: Value]) -> ResolvedCall {
        fixture.call(action, target: target, inputs)
    }

    func argv(_ ops: [PlannedOperation]) -> [[String]] { PITRFixture.argv(ops) }

    func testMoveAsideRenamesBesideTheDataDirectoryAsItsOwner() throws {
        let a = MoveAside()
        let ops = try a.plan(call(a, ["server_user": .string("postgres")]), in: context)
        XCTAssertEqual(argv(ops), [
            ["test", "-e", "/srv/pg/data"],
            ["stat", "-c", "%U", "--", "/srv/pg/data"],
            ["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", "/srv/pg/data", "status"],
            ["test", "!", "-e", "/srv/pg/data.before-pitr-20240115-r1"],
            ["runuser", "-u", "postgres", "--", "mv", "-T", "--", "/srv/pg/data", "/srv/pg/data.before-pitr-20240115-r1"],
            ["sync", "--", "/srv/pg"],
        ])
        XCTAssertThrowsError(try a.plan(call(a, ["moved_to": .string("/elsewhere/data.old")]), in: context))
    }

    func testUnpackStreamsTheTarIntoAFresh0700DirectoryAsTheOwner() throws {
        let a = UnpackBaseBackup()
        let ops = try a.plan(call(a, ["backup_dir": .string("/backups/base"), "backup": .string("base-1"), "server_user": .string("postgres")]), in: context)
        let commands = ops.compactMap { op -> CommandLine? in if case .command(let c) = op { return c } else { return nil } }
        XCTAssertEqual(commands.map(\.argv), [
            ["test", "-f", "/backups/base/catalog.json"],
            ["cat", "--", "/backups/base/catalog.json"],
            ["test", "-e", "/srv/pg/data"],
            ["ls", "-A", "--", "/srv/pg/data"],
            ["runuser", "-u", "postgres", "--", "mkdir", "-m", "0700", "--", "/srv/pg/data"],
            ["runuser", "-u", "postgres", "--", "chmod", "0700", "--", "/srv/pg/data"],
            ["runuser", "-u", "postgres", "--", "tar", "-xzf", "-", "-C", "/srv/pg/data"],
            ["runuser", "-u", "postgres", "--", "tar", "-xzf", "-", "-C", "/srv/pg/data/pg_wal"],
            ["test", "-f", "/srv/pg/data/backup_label", "-a", "-f", "/srv/pg/data/PG_VERSION", "-a", "-d", "/srv/pg/data/pg_wal"],
            ["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_verifybackup", "/srv/pg/data"],
        ])
        XCTAssertEqual(commands[6].stdinFile, "/backups/base/base-1/base.tar.gz")
        XCTAssertEqual(commands[7].stdinFile, "/backups/base/base-1/pg_wal.tar.gz")
    }

    func testRecoveryConfigIsAppendedDurablyAndSignalled() throws {
        let a = WriteRecoveryConfig()
        let ops = try a.plan(call(a, ["archive_dir": .string("/arch"), "target_time": .string("2024-01-15 14:30:00"),
                                      "server_user": .string("postgres")]), in: context)
        XCTAssertEqual(argv(ops), [
            ["test", "-f", "/srv/pg/data/backup_label"],
            ["test", "!", "-e", "/srv/pg/data/standby.signal"],
            ["test", "!", "-e", "/srv/pg/data/recovery.conf"],
            ["runuser", "-u", "postgres", "--", "dd", "of=/srv/pg/data/postgresql.auto.conf", "oflag=append", "conv=notrunc,fsync", "status=none"],
            ["runuser", "-u", "postgres", "--", "touch", "/srv/pg/data/recovery.signal"],
            ["sync", "--", "/srv/pg/data/recovery.signal", "/srv/pg/data"],
        ])
        XCTAssertTrue(ops.contains(.builtin("appended to postgresql.auto.conf:\n" + RecoveryTarget.time(Instant.parse("2024-01-15 14:30:00")!)
            .configText(restoreCommand: "cp /arch/%f %p", runID: "20240115-r1"))))
        XCTAssertThrowsError(try a.plan(call(a, ["archive_dir": .string("/arch")]), in: context), "no target")
        XCTAssertThrowsError(try a.plan(call(a, ["archive_dir": .string("/my arch"), "target_immediate": .bool(true)]), in: context))
    }

    func testBaseBackupUsesTarGzipManifestAndPartialDirectory() throws {
        let a = BaseBackup()
        let ops = try a.plan(call(a, ["backup_dir": .string("/backups/base/"), "id": .string("base-20240115")]), in: context)
        let all = argv(ops)
        XCTAssertTrue(all.contains(["/usr/lib/postgresql/15/bin/pg_basebackup", "-h", "/run/pg", "-p", "5433", "-U", "aqstream",
                                    "-D", "/backups/base/base-20240115.partial", "-F", "tar", "-X", "stream", "-c", "fast",
                                    "-l", "base-20240115", "--manifest-checksums", "CRC32C", "--no-password", "-z"]))
        XCTAssertTrue(all.contains(["tar", "-xzf", "/backups/base/base-20240115.partial/base.tar.gz", "-C", "/backups/base/base-20240115.verify"]))
        XCTAssertTrue(all.contains(["/usr/lib/postgresql/15/bin/pg_verifybackup", "-m", "/backups/base/base-20240115.partial/backup_manifest",
                                    "/backups/base/base-20240115.verify"]))
        XCTAssertTrue(all.contains(["mv", "-T", "--", "/backups/base/base-20240115.partial", "/backups/base/base-20240115"]))
        XCTAssertEqual(all.suffix(3), [["dd", "of=/backups/base/catalog.json.partial", "conv=fsync", "status=none"],
                                       ["mv", "-T", "--", "/backups/base/catalog.json.partial", "/backups/base/catalog.json"],
                                       ["sync", "--", "/backups/base"]])
        // The rename comes after verification, the catalog after the rename.
        let rename = all.firstIndex(of: ["mv", "-T", "--", "/backups/base/base-20240115.partial", "/backups/base/base-20240115"])!
        let verify = all.lastIndex { $0.first?.hasSuffix("pg_verifybackup") == true && $0.count > 2 }!
        XCTAssertLessThan(verify, rename)
        XCTAssertThrowsError(try a.plan(call(a, ["backup_dir": .string("/b"), "id": .string("../x")]), in: context))
    }

    func testVerificationOnPostgreSQL18ReadsTheTarDirectly() throws {
        let a = BaseBackup()
        let c = call(a, ["backup_dir": .string("/b"), "id": .string("x"), "archive_dir": .string("/arch")])
        let server = try PITRServer(c, context)
        let s = try a.settings(c, context)
        XCTAssertEqual(a.verifyCommands(server, s, verifierMajor: 18, hasWALTar: true).map(\.argv),
                       [["/usr/lib/postgresql/15/bin/pg_verifybackup", "-w", "/arch", "/b/x.partial"]])
        XCTAssertEqual(a.verifyCommands(server, s, verifierMajor: 15, hasWALTar: false).map(\.argv).last,
                       ["/usr/lib/postgresql/15/bin/pg_verifybackup", "-m", "/b/x.partial/backup_manifest", "/b/x.verify"])
    }

    func testConfigureArchivingSetsEverythingWithAlterSystemInSeparateStatements() throws {
        let a = ConfigureArchiving()
        let ops = try a.plan(call(a, ["archive_dir": .string("/arch"), "archive_timeout": .string("5s"), "server_user": .string("postgres")]), in: context)
        let all = argv(ops)
        let alter = try XCTUnwrap(all.first { $0.contains("ALTER SYSTEM SET wal_level = 'replica'") })
        XCTAssertEqual(Array(alter.prefix(9)), ["/usr/lib/postgresql/15/bin/psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-F", "|"])
        XCTAssertEqual(alter.filter { $0 != "-c" }.suffix(5), [
            "ALTER SYSTEM SET wal_level = 'replica'",
            "ALTER SYSTEM SET archive_mode = 'on'",
            "ALTER SYSTEM SET archive_command = '\(ArchiveCommands.archiveCommand(archiveDir: "/arch"))'",
            "ALTER SYSTEM SET archive_timeout = '5s'",
            "SELECT pg_reload_conf()",
        ])
        XCTAssertTrue(all.contains(["runuser", "-u", "postgres", "--", "mkdir", "-p", "-m", "0700", "--", "/arch"]))
        XCTAssertTrue(all.contains(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", "/srv/pg/data",
                                    "-l", "/srv/pg/data.server.log", "-m", "fast", "-w", "-t", "120", "restart"]))
        XCTAssertThrowsError(try a.plan(call(a, ["archive_dir": .string("/arch"), "archive_timeout": .string("0s")]), in: context))
    }

    func testComposeRunsFileCommandsInAOneOffContainerWhileTheServerIsStopped() throws {
        let a = MoveAside()
        let ops = try a.plan(call(a, target: "prod", ["server_user": .string("999:999")]), in: context)
        let base = ["docker", "compose", "--project-directory", "/opt/aqstream", "-p", "aqstream"]
        XCTAssertEqual(argv(ops), [
            base + ["run", "--rm", "--no-deps", "-T", "--entrypoint", "stat", "postgres-shared", "-c", "%u:%g", "--", "/var/lib/postgresql/data/pgdata"],
            base + ["ps", "--status", "running", "--quiet", "postgres-shared"],
            base + ["run", "--rm", "--no-deps", "-T", "--entrypoint", "test", "postgres-shared", "!", "-e", "/var/lib/postgresql/data/pgdata.before-pitr-20240115-r1"],
            base + ["run", "--rm", "--no-deps", "-T", "--entrypoint", "mv", "postgres-shared", "-T", "--", "/var/lib/postgresql/data/pgdata",
                    "/var/lib/postgresql/data/pgdata.before-pitr-20240115-r1"],
            base + ["run", "--rm", "--no-deps", "-T", "--entrypoint", "sync", "postgres-shared", "--", "/var/lib/postgresql/data"],
        ])
        let stop = StopServer()
        XCTAssertEqual(argv(try stop.plan(call(stop, target: "prod", ["server_user": .string("999:999")]), in: context)).last,
                       base + ["stop", "--timeout", "120", "postgres-shared"])
        let start = StartServer()
        let startOps = try start.plan(call(start, target: "prod", [:]), in: context)
        XCTAssertTrue(argv(startOps).contains(base + ["start", "postgres-shared"]))
        // psql inside the container, the password only named (-e PGPASSWORD), never in argv.
        let ping = try XCTUnwrap(startOps.compactMap { op -> CommandLine? in if case .command(let c) = op, c.argv.contains("SELECT 1") { return c } else { return nil } }.first)
        XCTAssertEqual(Array(ping.argv.prefix(12)), base + ["exec", "-T", "-e", "PGCONNECT_TIMEOUT", "-e", "PGPASSWORD"])
        XCTAssertEqual(ping.environment["PGPASSWORD"], .secret("pg_password"))
    }

    func testComposeUnpackReadsTheCatalogThroughAOneOffContainerSinceTheServerIsStopped() throws {
        let a = UnpackBaseBackup()
        let ops = try a.plan(call(a, target: "prod", ["backup_dir": .string("/backups"), "backup": .string("b1"), "server_user": .string("999:999")]), in: context)
        let base = ["docker", "compose", "--project-directory", "/opt/aqstream", "-p", "aqstream"]
        XCTAssertEqual(Array(argv(ops).prefix(2)), [
            base + ["run", "--rm", "--no-deps", "-T", "--entrypoint", "test", "postgres-shared", "-f", "/backups/catalog.json"],
            base + ["run", "--rm", "--no-deps", "-T", "--entrypoint", "cat", "postgres-shared", "--", "/backups/catalog.json"],
        ])
        XCTAssertFalse(argv(ops).contains { $0.contains("exec") }, "nothing can be exec'd into a stopped service")
    }

    func testRestoreOriginalKeepsTheFailedAttemptAndNeverDeletes() throws {
        let a = RestoreOriginal()
        let ops = try a.plan(call(a, ["original": .string("/srv/pg/data.before-pitr-x"), "server_user": .string("postgres")]), in: context)
        let all = argv(ops)
        XCTAssertTrue(all.contains(["runuser", "-u", "postgres", "--", "mv", "-T", "--", "/srv/pg/data", "/srv/pg/data.failed-pitr-20240115-r1"]))
        XCTAssertTrue(all.contains(["runuser", "-u", "postgres", "--", "mv", "-T", "--", "/srv/pg/data.before-pitr-x", "/srv/pg/data"]))
        XCTAssertEqual(all.filter { $0.contains("rm") }, [["rm", "-rf", "--", "/srv/pg/data.wal-fetch-20240115-r1"]],
                       "a rollback deletes no data, only this run's wal-fetch files (they hold the repository's identity)")
    }
}
