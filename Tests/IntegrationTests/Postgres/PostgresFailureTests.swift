import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// What must never happen: a failed dump that leaves something looking complete, a restore
/// of a tampered artifact, a drop under someone's feet.
final class PostgresFailureTests: PostgresSuite {
    func testDumpOfAMissingDatabaseFailsAndLeavesNothingBehind() async throws {
        for format in ["plain", "gzip", "custom", "directory"] {
            let dump = try await harness.run(Dump(), ["target": "db", "database": "no_such_db", "dir": .string(backups),
                                                      "format": .string(format), "name": .string("missing-\(format)")])
            XCTAssertFalse(dump.succeeded, format)
            XCTAssertTrue(dump.message?.contains("does not exist") == true, "\(format): \(dump.message ?? "")")
            XCTAssertEqual(directoryListing(backups).filter { $0.hasPrefix("missing-") }, [], "\(format) left files behind")
            XCTAssertEqual(try ManifestStore(directory: backups).read().artifacts.count, 0, "\(format) left a manifest entry")
        }
    }

    /// The seed's pipefail bug: pg_dump fails after it has written part of its output.
    /// Row-level security makes pg_dump (which runs with row_security=off) fail at that
    /// table's COPY, after the schema and earlier tables are already written.
    func testADumpThatFailsHalfwayLeavesNoArtifactInAnyFormat() async throws {
        try cluster.psql("shared_services_db", """
            DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'limited') THEN
                CREATE ROLE limited LOGIN PASSWORD 'limited-pw'; END IF; END $$;
            GRANT USAGE ON SCHEMA event_service, notification_service TO limited;
            GRANT SELECT ON ALL TABLES IN SCHEMA event_service, notification_service TO limited;
            GRANT SELECT ON ALL SEQUENCES IN SCHEMA event_service TO limited;
            CREATE TABLE IF NOT EXISTS public.zz_guarded (x int);
            INSERT INTO public.zz_guarded VALUES (1);
            GRANT SELECT ON public.zz_guarded TO limited;
            ALTER TABLE public.zz_guarded ENABLE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS only_some ON public.zz_guarded;
            CREATE POLICY only_some ON public.zz_guarded USING (x > 0);
            """)
        defer { _ = try? cluster.psql("shared_services_db", "DROP TABLE public.zz_guarded") }
        // The failure really is halfway: run directly, pg_dump writes output, then exits 1.
        let probe = cluster.root + "/probe.sql"
        let status = try ChildProcess.spawn(["pg_dump", "-U", "limited", "-d", "shared_services_db"],
                                            environment: cluster.clientEnvironment, stdout: probe).wait()
        XCTAssertEqual(status, 1)
        XCTAssertGreaterThan(try DurableFiles.size(probe), 1000, "pg_dump wrote part of the dump before failing")

        var target = cluster.tcpTarget(secretName: "limited_password")
        target.user = "limited"
        let here = SourceLocation(file: "t", line: 1, column: 1)
        var profile = harness.profile
        profile.targets.append(TargetDecl(name: "limited", binding: .postgres(target), location: here))
        let limited = PostgresActionHarness(cluster: cluster, processes: Self.makeRunner(), profile: profile,
                                            secrets: ["limited_password": "limited-pw"])
        for format in ["plain", "gzip", "custom", "directory"] {
            let dump = try await limited.run(Dump(), ["target": "limited", "database": "shared_services_db", "dir": .string(backups),
                                                      "format": .string(format), "name": .string("half-\(format)")])
            XCTAssertFalse(dump.succeeded, format)
            XCTAssertTrue(dump.message?.contains("row-level security") == true, "\(format): \(dump.message ?? "")")
            XCTAssertEqual(directoryListing(backups).filter { $0.hasPrefix("half-") }, [], "\(format) left files behind")
            XCTAssertEqual(try ManifestStore(directory: backups).read().artifacts.count, 0)
        }
    }

    func testACorruptedArtifactIsRefusedAndTheDatabaseIsUntouched() async throws {
        let dump = try await harness.run(Dump(), ["target": "db", "database": "user_service_db", "dir": .string(backups), "name": "users"])
        XCTAssertTrue(dump.succeeded, dump.message ?? "")
        let path = try XCTUnwrap(dump.outputs["path"]?.stringValue)
        // Flip one byte in the middle: still a valid-looking PGDMP file.
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        let byte = try XCTUnwrap(try handle.read(upToCount: 1)).first ?? 0
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data([byte ^ 0xff]))
        try handle.close()

        try cluster.psql("postgres", "CREATE DATABASE corrupt_target TEMPLATE template0")
        let restore = try await harness.run(Restore(), ["target": "db", "database": "corrupt_target", "from": .string(path)])
        XCTAssertFalse(restore.succeeded)
        XCTAssertTrue(restore.message?.contains("refusing to restore") == true, restore.message ?? "")
        XCTAssertTrue(restore.message?.contains("recorded \(dump.outputs["sha256"]?.stringValue ?? "?")") == true, restore.message ?? "")
        XCTAssertEqual(try cluster.psql("corrupt_target", "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"), "0")
        XCTAssertTrue(harness.auditEvents.contains { $0.0 == "postgres.restore-refused" })
    }

    func testASQLRestoreThatFailsPartWayLeavesNothingRestored() async throws {
        for format in ["plain", "gzip"] {
            let dump = try await harness.run(Dump(), ["target": "db", "database": "shared_services_db", "dir": .string(backups),
                                                      "format": .string(format), "name": .string("sql-\(format)")])
            XCTAssertTrue(dump.succeeded, dump.message ?? "")
            let target = "half_restored_\(format)"
            // The dump creates event_service first, then fails on notification_service, which exists.
            try cluster.psql("postgres", "CREATE DATABASE \(target) TEMPLATE template0")
            try cluster.psql(target, "CREATE SCHEMA notification_service")
            let restore = try await harness.run(Restore(), ["target": "db", "database": .string(target),
                                                            "from": .string(try XCTUnwrap(dump.outputs["path"]?.stringValue))])
            XCTAssertFalse(restore.succeeded, format)
            XCTAssertTrue(restore.message?.contains("already exists") == true, "\(format): \(restore.message ?? "")")
            XCTAssertEqual(try cluster.psql(target, "SELECT count(*) FROM pg_namespace WHERE nspname = 'event_service'"), "0",
                           "\(format): one transaction, so nothing before the error survives")
        }
    }

    func testAnArtifactTheManifestDoesNotKnowIsRefusedUnlessAllowed() async throws {
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let stray = backups + "/stray.dump"
        try cluster.client(["pg_dump", "-Fc", "-d", "user_service_db", "-f", stray])
        try cluster.psql("postgres", "CREATE DATABASE stray_target TEMPLATE template0")
        let refused = try await harness.run(Restore(), ["target": "db", "database": "stray_target", "from": .string(stray)])
        XCTAssertFalse(refused.succeeded)
        XCTAssertTrue(refused.message?.contains("has no record of it") == true, refused.message ?? "")
        let allowed = try await harness.run(Restore(), ["target": "db", "database": "stray_target", "from": .string(stray), "require_manifest": false])
        XCTAssertTrue(allowed.succeeded, allowed.message ?? "")
        XCTAssertEqual(try cluster.tableChecksums("stray_target"), try cluster.tableChecksums("user_service_db"))
    }

    func testDropRefusesWhileSomeoneIsConnectedUnlessToldToTerminate() async throws {
        try cluster.psql("postgres", "CREATE DATABASE busy_db")
        let session = try cluster.openSession("busy_db")
        defer { session.terminate() }
        let refused = try await harness.run(DropDatabase(), ["target": "db", "database": "busy_db"])
        XCTAssertFalse(refused.succeeded)
        XCTAssertTrue(refused.message?.contains("1 active connection") == true, refused.message ?? "")
        XCTAssertTrue(try cluster.databaseExists("busy_db"))

        let forced = try await harness.run(DropDatabase(), ["target": "db", "database": "busy_db", "terminate_connections": true])
        XCTAssertTrue(forced.succeeded, forced.message ?? "")
        XCTAssertFalse(try cluster.databaseExists("busy_db"))
        XCTAssertTrue(harness.auditEvents.contains { $0.0 == "postgres.terminate-connections" })

        let missing = try await harness.run(DropDatabase(), ["target": "db", "database": "busy_db"])
        XCTAssertFalse(missing.succeeded)
        let tolerated = try await harness.run(DropDatabase(), ["target": "db", "database": "busy_db", "if_exists": true])
        XCTAssertTrue(tolerated.succeeded, tolerated.message ?? "")
    }

    func testAWrongPasswordFailsWithPostgresMessageAndNoPrompt() async throws {
        let wrong = PostgresActionHarness(cluster: cluster, processes: Self.makeRunner(), profile: harness.profile,
                                          secrets: ["pg_password": "not-the-password"])
        let result = try await wrong.run(QueryCheck(), ["target": "db", "sql": "SELECT 1", "expect": "1"])
        XCTAssertFalse(result.succeeded)
        XCTAssertTrue(result.message?.contains("password authentication failed") == true, result.message ?? "")
        XCTAssertFalse(wrong.log.contains("not-the-password"))
    }
}
