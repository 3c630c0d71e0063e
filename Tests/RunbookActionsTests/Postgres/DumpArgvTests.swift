@testable import RunbookActions
import RunbookCore
import XCTest

final class DumpArgvTests: XCTestCase {
    /// The pg_dump process of a plan (after the psql session that exports its snapshot).
    private func pgDump(_ ops: [PlannedOperation]) throws -> CommandLine {
        try XCTUnwrap(PostgresCalls.commands(ops).first { $0.argv.contains { $0.hasSuffix("pg_dump") } })
    }

    private let composePrefix = ["docker", "compose", "--project-directory", "/opt/aqstream", "exec", "-T", "-e", "PGPASSWORD", "postgres-shared"]

    func testLocalCustomDumpStreamsStdoutToTheArtifactWithConnectionOptionsFromTheTarget() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget,
                                      ["target": "db", "database": "shared_services_db", "dir": "/backups", "name": "shared-1"])
        let dump = try pgDump(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))
        XCTAssertEqual(dump.argv, ["pg_dump", "-h", "/run/pg", "-p", "5433", "-U", "aqstream", "-d", "shared_services_db", "-w", "-Fc", SharedSnapshot.placeholder])
        XCTAssertEqual(dump.stdoutFile, "/backups/shared-1.dump")
        XCTAssertEqual(dump.environment, ["PGPASSWORD": .secret("pg_password")])
        XCTAssertEqual(dump.transport, "local")
    }

    func testComposeDumpRunsInTheServiceForwardsOnlyThePasswordNameAndStreamsToAHostFile() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.composeTarget,
                                      ["target": "db", "database": "shared_services_db", "dir": "/backups", "format": "gzip", "name": "s"])
        let ops = try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.composeTarget))
        let commands = PostgresCalls.commands(ops)
        let dump = try pgDump(ops)
        XCTAssertEqual(dump.argv, composePrefix + ["pg_dump", "-U", "aqstream", "-d", "shared_services_db", "-w", "-Fp", "-Z", "6", SharedSnapshot.placeholder])
        XCTAssertEqual(dump.stdoutFile, "/backups/s.sql.gz")
        XCTAssertTrue(dump.stdoutStaysPartial, "read back as s.sql.gz.partial, renamed right before the manifest record")
        XCTAssertEqual(dump.transport, "compose exec postgres-shared")
        XCTAssertEqual(dump.environment, ["PGPASSWORD": .secret("pg_password")])
        XCTAssertFalse(commands.flatMap(\.argv).contains { $0.hasPrefix("PGPASSWORD=") })
        // The gzip read-back runs on this host, decompressing the whole stream, before the rename.
        let readBack = try XCTUnwrap(commands.last)
        XCTAssertEqual(readBack.stdinFrom, ["gzip", "-dc", "/backups/s.sql.gz.partial"])
        XCTAssertEqual(readBack.argv, ["tail", "-c", "4096"])
    }

    func testGzipIsOneProcessSoItsExitStatusIsTheDumpsNotAPipelines() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget,
                                      ["target": "db", "database": "d", "dir": "/b", "format": "gzip", "name": "n", "compression": 9])
        let dump = try pgDump(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))
        XCTAssertNil(dump.stdinFrom)
        XCTAssertEqual(Array(dump.argv.suffix(4)), ["-Fp", "-Z", "9", SharedSnapshot.placeholder])
    }

    func testLocalDirectoryDumpWritesThePartialDirectoryItselfWithJobs() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget,
                                      ["target": "db", "database": "d", "dir": "/b", "format": "directory", "name": "n", "jobs": 3])
        let ops = try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget))
        let dump = try pgDump(ops)
        XCTAssertEqual(Array(dump.argv.suffix(6)), ["-Fd", "-j", "3", SharedSnapshot.placeholder, "-f", "/b/n.dir.partial"])
        XCTAssertNil(dump.stdoutFile)
        XCTAssertTrue(PostgresCalls.builtins(ops).joined().contains("rename n.dir.partial to n.dir"))
    }

    func testComposeDirectoryDumpStagesInTheContainerCopiesOutAndRemovesTheCopy() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.composeTarget,
                                      ["target": "db", "database": "d", "dir": "/b", "format": "directory", "name": "n"])
        let commands = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.composeTarget)))
        let staging = "/tmp/runbook-20240115-030000-ab12-n.dir"
        XCTAssertEqual(commands[0].argv, composePrefix + ["psql", "-U", "aqstream", "-d", "d", "-w", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t"])
        XCTAssertEqual(commands[1].argv, composePrefix + ["pg_dump", "-U", "aqstream", "-d", "d", "-w", "-Fd", "-j", "2", SharedSnapshot.placeholder, "-f", staging])
        XCTAssertEqual(commands[2].argv, ["docker", "compose", "--project-directory", "/opt/aqstream", "cp", "postgres-shared:" + staging, "/b/n.dir.partial"])
        XCTAssertEqual(commands[3].argv, ["docker", "compose", "--project-directory", "/opt/aqstream", "exec", "-T", "postgres-shared", "rm", "-rf", staging])
    }

    func testDefaultNameUsesDatabaseAndRunIDAndTheFormatsExtension() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget, ["target": "db", "database": "user_service_db", "dir": "/b", "format": "plain"])
        let dump = try pgDump(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))
        XCTAssertEqual(dump.stdoutFile, "/b/user_service_db-20240115-030000-ab12.sql")
    }

    func testNamesThatLeaveTheBackupDirectoryAreRefused() {
        for bad in ["../etc/x", ".hidden", "a/b"] {
            let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget, ["target": "db", "database": "d", "dir": "/b", "name": .string(bad), "format": "plain"])
            XCTAssertThrowsError(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)), bad) { error in
                XCTAssertTrue("\(error)".contains("plain file name"), "\(error)")
            }
        }
    }

    func testRowsAreCountedInTheSnapshotPgDumpDumps() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget, ["target": "db", "database": "d", "dir": "/b", "name": "n"])
        let ops = try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget))
        let session = PostgresCalls.commands(ops)[0]
        XCTAssertEqual(session.argv, ["psql", "-h", "/run/pg", "-p", "5433", "-U", "aqstream", "-d", "d", "-w", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t"])
        XCTAssertNotNil(session.stdinFile, "statements arrive on stdin, one at a time")
        XCTAssertTrue(SharedSnapshot.opening.hasPrefix("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT '\(SharedSnapshot.marker)' || pg_export_snapshot();"))
        XCTAssertTrue(SharedSnapshot.counting.contains("count(*)"))
        XCTAssertTrue(SharedSnapshot.counting.hasPrefix("SET LOCAL max_parallel_workers_per_gather = 0;"))
        XCTAssertEqual(try pgDump(ops).argv.last, SharedSnapshot.placeholder)
        XCTAssertEqual(SharedSnapshot.using("00000003-0000001B-1", in: try pgDump(ops)).argv.last, "--snapshot=00000003-0000001B-1")
        XCTAssertTrue(PostgresCalls.builtins(ops).contains { $0.contains("pg_export_snapshot") })
    }

    func testGlobalsDumpUsesPgDumpallGlobalsOnly() throws {
        let call = PostgresCalls.call(DumpGlobals(), PostgresCalls.localTarget, ["target": "db", "dir": "/b", "name": "roles"])
        let dump = PostgresCalls.commands(try DumpGlobals().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))[0]
        XCTAssertEqual(dump.argv, ["pg_dumpall", "-h", "/run/pg", "-p", "5433", "-U", "aqstream", "-w", "-l", "postgres", "--globals-only"])
        XCTAssertEqual(dump.stdoutFile, "/b/roles.sql")
    }

    func testBinDirOfALocalTargetPicksTheClientTools() throws {
        var target = PostgresCalls.localTarget
        target.binDir = "/usr/lib/postgresql/15/bin"
        let call = PostgresCalls.call(Dump(), target, ["target": "db", "database": "d", "dir": "/b", "name": "n"])
        let commands = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(target)))
        XCTAssertEqual(commands.map { $0.argv.first }, ["/usr/lib/postgresql/15/bin/psql", "/usr/lib/postgresql/15/bin/pg_dump"])
    }
}
