import Foundation
import XCTest

/// Disaster recovery onto a new server, on a local-style profile (no compose): a database
/// whose schema, tables, sequence and function belong to an application role, with grants to
/// a read-only group role and default privileges, is backed up with `backup`; the server is
/// lost; `disaster-recovery --param manage_stack=false` runs against a second, fresh `initdb`
/// whose only role is the connecting superuser. Owners, ACLs, role attributes, memberships,
/// settings, comments, password hashes and every row must be as they were. Real PostgreSQL 15
/// (two clusters), a real S3 server (rclone serve s3) for the media, and the demo's health
/// endpoint, driven through the built `runbook` binary.
final class DisasterRecoveryRolesTests: XCTestCase {
    static let database = "shared_services_db"
    static let bucket = "aqstream-media"
    static let appRoles = ["app_reader", "event_owner", "reader_user"]

    func testRecoveryOntoAFreshClusterCreatesTheRolesAndKeepsOwnersGrantsAndRows() throws {
        let work = NSTemporaryDirectory() + "runbook-dr-roles-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: work + "/media", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let backups = work + "/backups", state = work + "/state"

        let s3 = try S3Server.start(.rclone)
        defer { s3.stop() }
        _ = try s3.aws(["s3", "mb", "s3://\(Self.bucket)"])
        try Data("poster".utf8).write(to: URL(fileURLWithPath: work + "/media/poster.txt"))
        try s3.awsUpload(directory: work + "/media", to: "s3://\(Self.bucket)/")

        // The old server: roles, owners, grants, data; then `backup`, as the nightly job runs it.
        let old = try PostgresCluster()
        defer { old.stop() }
        try Self.createOwnedDatabase(old)
        let before = try Self.snapshot(old)
        let backup = try Self.runbook(["run", "backup", "--param", "databases=\(Self.database)", "--param", "backup_dir=\(backups)",
                                  "--param", "bucket=\(Self.bucket)"], profile: profile(old, s3: s3, app: nil, dir: work), state: state,
                                 secrets: secrets(old, s3))
        XCTAssertEqual(backup.status, 0, backup.output)
        old.stop()

        // The new server: a fresh initdb, whose only role is the superuser (with its own password).
        let fresh = try PostgresCluster()
        defer { fresh.stop() }
        XCTAssertEqual(try fresh.psql("postgres", "SELECT string_agg(rolname, ',') FROM pg_roles WHERE rolname !~ '^pg_'"), "aqstream")
        let superuserBefore = try fresh.psql("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'aqstream'")
        let health = try HealthEndpoint(cluster: fresh, s3: s3, databases: [Self.database])
        defer { health.stop() }

        let recovery = try Self.runbook(["run", "disaster-recovery", "--param", "manage_stack=false", "--param", "databases=\(Self.database)",
                                    "--param", "backup_dir=\(backups)", "--param", "bucket=\(Self.bucket)"],
                                   profile: profile(fresh, s3: s3, app: health.url, dir: work), state: state, secrets: secrets(fresh, s3))
        XCTAssertEqual(recovery.status, 0, recovery.output)

        let after = try Self.snapshot(fresh)
        XCTAssertEqual(after.roles, before.roles, "role attributes, settings, comments and password hashes")
        XCTAssertEqual(after.memberships, before.memberships)
        XCTAssertEqual(after.owners, before.owners, "owners of the schemas, tables, sequences and functions")
        XCTAssertEqual(after.acls, before.acls, "grants on the schemas, tables, columns, sequences and functions, and default privileges")
        XCTAssertEqual(after.rows, before.rows, "every table, row for row")
        XCTAssertEqual(try fresh.psql("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'aqstream'"), superuserBefore,
                       "the existing superuser was not altered")
        // The restored password works: the application role logs in over TCP with it.
        var env = fresh.clientEnvironment
        env["PGHOST"] = "127.0.0.1"
        env["PGPASSWORD"] = "event-owner-pw"
        XCTAssertEqual(try PostgresCluster.run(["psql", "-X", "-A", "-t", "-U", "event_owner", "-d", Self.database, "-c",
                                                "SELECT count(*) FROM event_service.events"], environment: env)
                        .trimmingCharacters(in: .whitespacesAndNewlines), "300")

        // Which roles were created is in the run's output and its audit trail; no password is.
        XCTAssertTrue(recovery.output.contains("created roles app_reader, event_owner, reader_user; already there, left as they are: aqstream"), recovery.output)
        let audit = try String(contentsOfFile: state + "/audit.jsonl", encoding: .utf8)
        let event = try XCTUnwrap(audit.split(separator: "\n").last { $0.contains("\"event\":\"postgres.restore-globals\"") }, audit)
        XCTAssertTrue(event.contains(#""created":["app_reader","event_owner","reader_user"]"#), String(event))
        XCTAssertTrue(event.contains(#""existing":["aqstream"]"#), String(event))
        for text in [audit, recovery.output, backup.output] {
            XCTAssertFalse(text.contains("SCRAM-SHA-256"), "a password hash leaked")
            XCTAssertFalse(text.contains(old.password) || text.contains(fresh.password), "a password leaked")
        }
    }

    // MARK: - The database

    static func createOwnedDatabase(_ cluster: PostgresCluster) throws {
        try cluster.psql("postgres", """
            CREATE ROLE event_owner LOGIN PASSWORD 'event-owner-pw' CONNECTION LIMIT 20;
            CREATE ROLE app_reader NOLOGIN;
            CREATE ROLE reader_user LOGIN PASSWORD 'reader-pw' VALID UNTIL '2099-01-01';
            GRANT app_reader TO reader_user;
            ALTER ROLE event_owner SET search_path = event_service, public;
            COMMENT ON ROLE event_owner IS 'owns the event service''s schema';
            """)
        try cluster.psql("postgres", "CREATE DATABASE \(Self.database)")
        try cluster.psql(Self.database, """
            CREATE SCHEMA event_service AUTHORIZATION event_owner;
            SET ROLE event_owner;
            CREATE TABLE event_service.events (id bigserial PRIMARY KEY, title text NOT NULL, secret_note text);
            INSERT INTO event_service.events (title, secret_note) SELECT 'Event ' || g, 'note ' || g FROM generate_series(1, 300) g;
            CREATE TABLE event_service.organizers (id int PRIMARY KEY, name text);
            INSERT INTO event_service.organizers SELECT g, 'Org ' || g FROM generate_series(1, 12) g;
            CREATE FUNCTION event_service.event_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*) FROM event_service.events';
            GRANT USAGE ON SCHEMA event_service TO app_reader;
            GRANT SELECT ON event_service.organizers TO app_reader;
            GRANT SELECT (id, title) ON event_service.events TO app_reader;
            REVOKE EXECUTE ON FUNCTION event_service.event_count() FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION event_service.event_count() TO app_reader;
            ALTER DEFAULT PRIVILEGES FOR ROLE event_owner IN SCHEMA event_service GRANT SELECT ON TABLES TO app_reader;
            RESET ROLE;
            """)
    }

    struct Snapshot: Equatable {
        var roles: String
        var memberships: String
        var owners: String
        var acls: String
        var rows: [String: String]
    }

    /// Catalog facts compared by name (never by oid, which a new cluster renumbers).
    static func snapshot(_ cluster: PostgresCluster) throws -> Snapshot {
        let roles = Self.appRoles.map { "'\($0)'" }.joined(separator: ",")
        let schemas = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        return Snapshot(
            roles: try cluster.psql("postgres", """
                SELECT string_agg(concat_ws('|', a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin,
                                            a.rolconnlimit, a.rolvaliduntil, a.rolpassword, s.setconfig::text,
                                            shobj_description(a.oid, 'pg_authid')), E'\\n' ORDER BY a.rolname)
                FROM pg_authid a LEFT JOIN pg_db_role_setting s ON s.setrole = a.oid AND s.setdatabase = 0
                WHERE a.rolname IN (\(roles))
                """),
            memberships: try cluster.psql("postgres", """
                SELECT string_agg(r.rolname || ' -> ' || m.rolname || ' admin ' || am.admin_option || ' by ' || pg_get_userbyid(am.grantor),
                                  E'\\n' ORDER BY r.rolname, m.rolname)
                FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
                WHERE m.rolname IN (\(roles))
                """),
            owners: try cluster.psql(Self.database, """
                SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
                  SELECT 'schema ' || n.nspname || ' ' || pg_get_userbyid(n.nspowner) AS x FROM pg_namespace n WHERE \(schemas)
                  UNION ALL SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname || ' ' || pg_get_userbyid(c.relowner)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE \(schemas) AND c.relkind IN ('r', 'S', 'v', 'i')
                  UNION ALL SELECT 'function ' || p.oid::regprocedure || ' ' || pg_get_userbyid(p.proowner)
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE \(schemas)) o
                """),
            acls: try cluster.psql(Self.database, """
                SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
                  SELECT 'schema ' || n.nspname || ' ' || coalesce(n.nspacl::text, '-') AS x FROM pg_namespace n WHERE \(schemas)
                  UNION ALL SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || coalesce(c.relacl::text, '-')
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE \(schemas) AND c.relkind IN ('r', 'S', 'v')
                  UNION ALL SELECT 'column ' || c.relname || '.' || a.attname || ' ' || a.attacl::text
                    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE \(schemas) AND a.attacl IS NOT NULL
                  UNION ALL SELECT 'function ' || p.oid::regprocedure || ' ' || coalesce(p.proacl::text, '-')
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE \(schemas)
                  UNION ALL SELECT 'default ' || pg_get_userbyid(d.defaclrole) || ' ' || d.defaclnamespace::regnamespace || ' '
                                   || d.defaclobjtype::text || ' ' || d.defaclacl::text FROM pg_default_acl d) a
                """),
            rows: try cluster.tableChecksums(Self.database))
    }

    // MARK: - Running runbook

    func profile(_ cluster: PostgresCluster, s3: S3Server, app: String?, dir: String) throws -> String {
        let path = dir + "/local-\(cluster.port).yaml"
        try """
        profile: local-style
        description: Like profiles/local.yaml; no compose stack.
        secrets:
          pg_password: {env: RUNBOOK_TEST_PG_PASSWORD}
          s3_access_key: {env: RUNBOOK_TEST_S3_ACCESS_KEY}
          s3_secret_key: {env: RUNBOOK_TEST_S3_SECRET_KEY}
        targets:
          db:
            postgres: {via: local, host: 127.0.0.1, port: \(cluster.port), user: aqstream, password: "${secrets.pg_password}", bin_dir: \(PostgresCluster.binDir)}
          media:
            s3: {endpoint: "\(s3.endpoint)", region: us-east-1, access_key: "${secrets.s3_access_key}", secret_key: "${secrets.s3_secret_key}"}
          app:
            http: {base_url: "\(app ?? "http://127.0.0.1:9")"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func secrets(_ cluster: PostgresCluster, _ s3: S3Server) -> [String: String] {
        ["RUNBOOK_TEST_PG_PASSWORD": cluster.password, "RUNBOOK_TEST_S3_ACCESS_KEY": s3.accessKey, "RUNBOOK_TEST_S3_SECRET_KEY": s3.secretKey]
    }

    static func runbook(_ args: [String], profile: String, state: String, secrets: [String: String]) throws -> PostgresRunbookCLITests.CLIResult {
        let log = state + "-" + UUID().uuidString.prefix(6) + ".log"
        var env = ProcessInfo.processInfo.environment
        env.merge(secrets) { _, new in new }
        env.removeValue(forKey: "PGPASSWORD")
        env["NO_COLOR"] = "1"
        let status = try PostgresRunbookCLITests.spawn(args + ["--profile", profile, "--state-dir", state, "--yes"],
                                                       environment: env, log: log).wait()
        return PostgresRunbookCLITests.CLIResult(status: status, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}

/// The demo's stand-in for the application's health endpoint (scripts/demo/health_server.py):
/// UP while the databases answer and S3 accepts connections.
final class HealthEndpoint {
    let process: ChildProcess
    let url: String

    init(cluster: PostgresCluster, s3: S3Server, databases: [String]) throws {
        let port = try PostgresCluster.freePort()
        var env = cluster.clientEnvironment
        env["APP_PORT"] = String(port)
        env["S3_PORT"] = String(s3.port)
        env["HEALTH_DATABASES"] = databases.joined(separator: " ")
        process = try ChildProcess.spawn(["python3", PostgresRunbookCLITests.repository + "/scripts/demo/health_server.py"], environment: env)
        url = "http://127.0.0.1:\(port)"
    }

    func stop() { process.terminate() }
}
