@testable import RunbookActions
import RunbookCore
import XCTest

final class DumpArgvTests: XCTestCase {
    private let composePrefix = ["docker", "compose", "--project-directory", "/opt/aqstream", "exec", "-T", "-e", "PGPASSWORD", "postgres-shared"]

    func testLocalCustomDumpStreamsStdoutToTheArtifactWithConnectionOptionsFromTheTarget() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget,
                                      ["target": "db", "database": "shared_services_db", "dir": "/backups", "name": "shared-1"])
        let commands = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))
        let dump = try XCTUnwrap(commands.first)
        XCTAssertEqual(dump.argv, ["pg_dump", "-h", "/run/pg", "-p", "5433", "-U", "aqstream", "-d", "shared_services_db", "-w", "-Fc"])
        XCTAssertEqual(dump.stdoutFile, "/backups/shared-1.dump")
        XCTAssertEqual(dump.environment, ["PGPASSWORD": .secret("pg_password")])
        XCTAssertEqual(dump.transport, "local")
    }

    func testComposeDumpRunsInTheServiceForwardsOnlyThePasswordNameAndStreamsToAHostFile() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.composeTarget,
                                      ["target": "db", "database": "shared_services_db", "dir": "/backups", "format": "gzip", "name": "s"])
        let commands = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.composeTarget)))
        let dump = try XCTUnwrap(commands.first)
        XCTAssertEqual(dump.argv, composePrefix + ["pg_dump", "-U", "aqstream", "-d", "shared_services_db", "-w", "-Fp", "-Z", "6"])
        XCTAssertEqual(dump.stdoutFile, "/backups/s.sql.gz")
        XCTAssertEqual(dump.transport, "compose exec postgres-shared")
        XCTAssertEqual(dump.environment, ["PGPASSWORD": .secret("pg_password")])
        XCTAssertFalse(commands.flatMap(\.argv).contains { $0.hasPrefix("PGPASSWORD=") })
        // The gzip read-back runs on this host, decompressing the whole stream.
        let readBack = try XCTUnwrap(commands.last)
        XCTAssertEqual(readBack.stdinFrom, ["gzip", "-dc", "/backups/s.sql.gz"])
        XCTAssertEqual(readBack.argv, ["tail", "-c", "4096"])
    }

    func testGzipIsOneProcessSoItsExitStatusIsTheDumpsNotAPipelines() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget,
                                      ["target": "db", "database": "d", "dir": "/b", "format": "gzip", "name": "n", "compression": 9])
        let dump = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))[0]
        XCTAssertNil(dump.stdinFrom)
        XCTAssertEqual(Array(dump.argv.suffix(3)), ["-Fp", "-Z", "9"])
    }

    func testLocalDirectoryDumpWritesThePartialDirectoryItselfWithJobs() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget,
                                      ["target": "db", "database": "d", "dir": "/b", "format": "directory", "name": "n", "jobs": 3])
        let ops = try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget))
        let dump = PostgresCalls.commands(ops)[0]
        XCTAssertEqual(Array(dump.argv.suffix(5)), ["-Fd", "-j", "3", "-f", "/b/n.dir.partial"])
        XCTAssertNil(dump.stdoutFile)
        XCTAssertTrue(PostgresCalls.builtins(ops).joined().contains("rename n.dir.partial to n.dir"))
    }

    func testComposeDirectoryDumpStagesInTheContainerCopiesOutAndRemovesTheCopy() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.composeTarget,
                                      ["target": "db", "database": "d", "dir": "/b", "format": "directory", "name": "n"])
        let commands = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.composeTarget)))
        let staging = "/tmp/runbook-20240115-030000-ab12-n.dir"
        XCTAssertEqual(commands[0].argv, composePrefix + ["pg_dump", "-U", "aqstream", "-d", "d", "-w", "-Fd", "-j", "2", "-f", staging])
        XCTAssertEqual(commands[1].argv, ["docker", "compose", "--project-directory", "/opt/aqstream", "cp", "postgres-shared:" + staging, "/b/n.dir.partial"])
        XCTAssertEqual(commands[2].argv, ["docker", "compose", "--project-directory", "/opt/aqstream", "exec", "-T", "postgres-shared", "rm", "-rf", staging])
    }

    func testDefaultNameUsesDatabaseAndRunIDAndTheFormatsExtension() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget, ["target": "db", "database": "user_service_db", "dir": "/b", "format": "plain"])
        let dump = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))[0]
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

    func testStatisticsCountRowsInOneRepeatableReadSnapshot() throws {
        let call = PostgresCalls.call(Dump(), PostgresCalls.localTarget, ["target": "db", "database": "d", "dir": "/b", "name": "n"])
        let stats = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(PostgresCalls.localTarget)))[1]
        XCTAssertEqual(Array(stats.argv.prefix(10)), ["psql", "-h", "/run/pg", "-p", "5433", "-U", "aqstream", "-d", "d", "-w"])
        let statements = stats.argv.enumerated().filter { $0.offset > 0 && stats.argv[$0.offset - 1] == "-c" }.map(\.element)
        XCTAssertEqual(statements.first, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        XCTAssertEqual(statements.last, "COMMIT")
        XCTAssertTrue(statements[2].contains("count(*)"))
        XCTAssertTrue(stats.argv.contains("ON_ERROR_STOP=1"))
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
        let dump = PostgresCalls.commands(try Dump().plan(call, in: PostgresCalls.context(target)))[0]
        XCTAssertEqual(dump.argv.first, "/usr/lib/postgresql/15/bin/pg_dump")
    }
}
