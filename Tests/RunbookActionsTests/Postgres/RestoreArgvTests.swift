@testable import RunbookActions
import RunbookCore
import XCTest

/// Restore picks its tool from the artifact's header, never its name, and reaches compose
/// services through stdin or a staged copy.
final class RestoreArgvTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "restore-argv-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    private func plan(_ target: PostgresTarget, _ inputs: [String: Value]) throws -> [PlannedOperation] {
        var all: [String: Value] = ["target": "db", "database": "shared_services_db", "require_manifest": false]
        all.merge(inputs) { _, new in new }
        return try Restore().plan(PostgresCalls.call(Restore(), target, all), in: PostgresCalls.context(target))
    }

    func testACustomArchiveNamedSqlIsRestoredWithPgRestoreInParallel() throws {
        let path = write("looks-like-plain.sql", Array("PGDMP\u{1}\u{e}".utf8))
        let restore = PostgresCalls.commands(try plan(PostgresCalls.localTarget, ["from": .string(path), "jobs": 2]))[0]
        XCTAssertEqual(restore.argv, ["pg_restore", "-h", "/run/pg", "-p", "5433", "-U", "aqstream", "-d", "shared_services_db", "-w",
                                      "--exit-on-error", "-j", "2", path])
        XCTAssertEqual(restore.environment, ["PGPASSWORD": .secret("pg_password")])
    }

    func testSingleJobArchiveRestoreIsOneTransactionAndCleanAddsIfExists() throws {
        let path = write("a.dump", Array("PGDMP".utf8))
        let restore = PostgresCalls.commands(try plan(PostgresCalls.localTarget, ["from": .string(path), "clean": true, "no_owner": true]))[0]
        XCTAssertEqual(Array(restore.argv.suffix(6)), ["--exit-on-error", "--single-transaction", "--clean", "--if-exists", "--no-owner", path])
    }

    func testPlainSQLNamedDumpIsRestoredWithPsqlInOneTransactionStoppingAtTheFirstError() throws {
        let path = write("really-sql.dump", Array("--\n-- PostgreSQL database dump\n".utf8))
        let restore = PostgresCalls.commands(try plan(PostgresCalls.localTarget, ["from": .string(path)]))[0]
        XCTAssertEqual(restore.argv, ["psql", "-h", "/run/pg", "-p", "5433", "-U", "aqstream", "-d", "shared_services_db", "-w",
                                      "-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", "-1", "-f", path])
    }

    func testGzipIsDecompressedByACheckedProducerFeedingPsql() throws {
        let path = write("x.backup", [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0])
        let restore = PostgresCalls.commands(try plan(PostgresCalls.localTarget, ["from": .string(path)]))[0]
        XCTAssertEqual(restore.stdinFrom, ["gzip", "-dc", path])
        XCTAssertEqual(restore.argv.first, "psql")
        XCTAssertEqual(Array(restore.argv.suffix(3)), ["-1", "-f", "-"], "one transaction over the decompressed stream")
    }

    func testDirectoryWithTocIsRestoredWithPgRestoreJobs() throws {
        let path = dir + "/d.anything"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        _ = write("d.anything/toc.dat", Array("PGDMP".utf8))
        let restore = PostgresCalls.commands(try plan(PostgresCalls.localTarget, ["from": .string(path), "jobs": 2]))[0]
        XCTAssertEqual(Array(restore.argv.suffix(4)), ["--exit-on-error", "-j", "2", path])
    }

    func testCleanIsRefusedForSQLText() throws {
        let path = write("p.sql", Array("SELECT 1;\n".utf8))
        XCTAssertThrowsError(try plan(PostgresCalls.localTarget, ["from": .string(path), "clean": true])) { error in
            XCTAssertTrue("\(error)".contains("recreate"), "\(error)")
        }
    }

    func testComposeSerialArchiveRestoreReadsTheHostFileOnStdin() throws {
        let path = write("c.dump", Array("PGDMP".utf8))
        let restore = PostgresCalls.commands(try plan(PostgresCalls.composeTarget, ["from": .string(path)]))[0]
        XCTAssertEqual(restore.argv, ["docker", "compose", "--project-directory", "/opt/aqstream", "exec", "-T", "-e", "PGPASSWORD",
                                      "postgres-shared", "pg_restore", "-U", "aqstream", "-d", "shared_services_db", "-w",
                                      "--exit-on-error", "--single-transaction"])
        XCTAssertEqual(restore.stdinFile, path)
    }

    func testComposePlainRestoreReadsStdinAndGzipStillDecompressesOnTheHost() throws {
        let plain = write("p.sql", Array("SELECT 1;\n".utf8))
        let plainRestore = PostgresCalls.commands(try plan(PostgresCalls.composeTarget, ["from": .string(plain)]))[0]
        XCTAssertEqual(plainRestore.stdinFile, plain)
        XCTAssertEqual(Array(plainRestore.argv.suffix(3)), ["-1", "-f", "-"])
        let gz = write("p.sql.gz", [0x1f, 0x8b, 8, 0])
        let gzRestore = PostgresCalls.commands(try plan(PostgresCalls.composeTarget, ["from": .string(gz)]))[0]
        XCTAssertEqual(gzRestore.stdinFrom, ["gzip", "-dc", gz])
        XCTAssertEqual(gzRestore.transport, "compose exec postgres-shared")
    }

    func testComposeParallelRestoreCopiesTheArchiveInRestoresFromThereAndRemovesIt() throws {
        let path = write("c.dump", Array("PGDMP".utf8))
        let commands = PostgresCalls.commands(try plan(PostgresCalls.composeTarget, ["from": .string(path), "jobs": 2]))
        let staged = "/tmp/runbook-20240115-030000-ab12-c.dump"
        XCTAssertEqual(commands.map { Array($0.argv.suffix(3)) }, [
            ["of=" + staged, "bs=1M", "status=none"],
            ["-j", "2", staged],
            ["rm", "-rf", staged],
        ])
        XCTAssertEqual(commands[0].stdinFile, path, "streamed in as the service's user, not `docker compose cp` (root-owned)")
    }

    func testLatestIsResolvedFromTheManifestNotFromMtimes() throws {
        let older = write("shared-old.dump", Array("PGDMP-old".utf8))
        let newer = write("shared-new.dump", Array("PGDMP-new".utf8))
        // The older artifact has the newer mtime: mtime must not matter.
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: older)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -86_400 * 10)], ofItemAtPath: newer)
        let base = Date(timeIntervalSinceNow: -3600)
        try ManifestStore(directory: dir).update { m in
            m.artifacts.append(ManifestFixtures.record("shared-new.dump", database: "shared_services_db", finished: base.addingTimeInterval(60),
                                                       sha256: try DumpDigest.sha256(of: newer)))
            m.artifacts.append(ManifestFixtures.record("shared-old.dump", database: "shared_services_db", finished: base,
                                                       sha256: try DumpDigest.sha256(of: older)))
        }
        let ops = try plan(PostgresCalls.localTarget, ["from": "latest", "backup_dir": .string(dir), "require_manifest": true])
        XCTAssertEqual(PostgresCalls.commands(ops)[0].argv.last, newer)
        XCTAssertTrue(PostgresCalls.builtins(ops)[0].hasPrefix("latest is now \(newer), taken "), PostgresCalls.builtins(ops)[0])
        XCTAssertTrue(PostgresCalls.builtins(ops)[1].contains("check its sha256"), PostgresCalls.builtins(ops)[1])
    }

    func testAMissingArtifactPlansADeferredRestoreInsteadOfFailing() throws {
        let ops = try plan(PostgresCalls.localTarget, ["from": .string(dir + "/not-yet.dump")])
        XCTAssertTrue(PostgresCalls.commands(ops).isEmpty)
        XCTAssertTrue(PostgresCalls.builtins(ops)[0].contains("once it exists"))
    }

    func testLatestWithoutAManifestYetIsDecidedAtRunTime() throws {
        // disaster-recovery is planned on machines without the backups (and before the first one).
        let ops = try plan(PostgresCalls.composeTarget, ["from": "latest", "backup_dir": .string(dir + "/none")])
        XCTAssertEqual(PostgresCalls.commands(ops), [])
        XCTAssertTrue(PostgresCalls.builtins(ops).first?.hasPrefix("latest: the run reads \(dir)/none/manifest.json when it gets here") ?? false,
                      "\(PostgresCalls.builtins(ops))")
    }
}
