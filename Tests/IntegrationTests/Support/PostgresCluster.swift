import Foundation
import RunbookActions
import RunbookCore

/// A throwaway PostgreSQL 15 cluster for one test suite: `initdb` as an unprivileged user
/// (initdb refuses root) in a fresh temporary directory, listening only on 127.0.0.1 and a
/// private unix socket directory, on a free port. `stop()` shuts it down and deletes it;
/// call it from `tearDown`/`defer` so a failing test never leaves a server behind.
///
/// Local connections (the socket) trust; TCP connections need the password (scram-sha-256),
/// so tests that connect over 127.0.0.1 prove that PGPASSWORD really reaches the tools.
final class PostgresCluster: @unchecked Sendable {
    static let binDir = "/usr/lib/postgresql/15/bin"
    static let superuser = "aqstream"

    let root: String
    let dataDir: String
    let socketDir: String
    let port: Int
    let password: String
    let osUser: String
    private(set) var running = false

    struct HarnessError: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates and starts the cluster.
    init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binDir + "/initdb") else {
            throw HarnessError(description: "PostgreSQL 15 server binaries are missing in \(Self.binDir) (apt-get install -y postgresql-15)")
        }
        osUser = try Self.unprivilegedUser()
        var template = Array((NSTemporaryDirectory() + "runbook-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError(description: "mkdtemp failed: \(String(cString: strerror(errno)))") }
        root = String(cString: made)
        dataDir = root + "/data"
        socketDir = root
        port = try Self.freePort()
        password = "pw-" + UUID().uuidString.prefix(8).lowercased()
        do {
            try Self.sh(["chown", osUser, root])
            chmod(root, 0o755)
            let pwfile = root + "/pwfile"
            try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: pwfile))
            try Self.sh(["chown", osUser, pwfile])
            try Self.asUser(osUser, [Self.binDir + "/initdb", "-D", dataDir, "-U", Self.superuser, "--pwfile", pwfile,
                                     "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
            unlink(pwfile)
            let conf = """

                listen_addresses = '127.0.0.1'
                port = \(port)
                unix_socket_directories = '\(socketDir)'
                fsync = off
                synchronous_commit = off
                full_page_writes = off
                max_connections = 50
                """
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDir + "/postgresql.conf"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((conf + "\n").utf8))
            try handle.close()
            try start()
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
    }

    func start() throws {
        // The server outlives pg_ctl and would inherit (and hold open) a pipe to our stdout,
        // so pg_ctl's own output goes to a file.
        try Self.daemonize(["runuser", "-u", osUser, "--", Self.binDir + "/pg_ctl", "-D", dataDir, "-l", root + "/server.log",
                            "-w", "-t", "30", "start"], log: root + "/pg_ctl.log")
        running = true
    }

    /// Stops the server but keeps its data, so a test can start it again.
    func stopServerOnly() {
        guard running else { return }
        _ = try? Self.asUser(osUser, [Self.binDir + "/pg_ctl", "-D", dataDir, "-m", "fast", "-w", "-t", "30", "stop"])
        running = false
    }

    /// Stops the server (fast shutdown) and removes its directory. Safe to call twice.
    func stop() {
        if running {
            _ = try? Self.asUser(osUser, [Self.binDir + "/pg_ctl", "-D", dataDir, "-m", "fast", "-w", "-t", "30", "stop"])
            running = false
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { stop() }

    // MARK: - Targets

    /// Over the private socket directory (trusted).
    var socketTarget: PostgresTarget {
        PostgresTarget(via: .local, host: socketDir, port: port, user: Self.superuser)
    }

    /// Over TCP on 127.0.0.1, authenticating with the password from secret `secretName`.
    func tcpTarget(secretName: String = "pg_password") -> PostgresTarget {
        PostgresTarget(via: .local, host: "127.0.0.1", port: port, user: Self.superuser, passwordSecret: secretName)
    }

    // MARK: - Direct client access (independent of the code under test)

    /// The environment for client tools run directly by tests (over the socket).
    var clientEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["PGHOST"] = socketDir
        env["PGPORT"] = String(port)
        env["PGUSER"] = Self.superuser
        env.removeValue(forKey: "PGPASSWORD")
        env.removeValue(forKey: "PGDATABASE")
        return env
    }

    /// Runs SQL with psql (ON_ERROR_STOP, unaligned, tuples only) and returns its trimmed output.
    @discardableResult
    func psql(_ database: String, _ sql: String) throws -> String {
        let out = try Self.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", database, "-c", sql],
                               environment: clientEnvironment)
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a client tool (pgbench, pg_dump...) with the cluster's connection environment.
    @discardableResult
    func client(_ argv: [String]) throws -> String {
        try Self.run(argv, environment: clientEnvironment)
    }

    /// A client connected to `database` (as a service would be), until `terminate()`d or
    /// its connection is killed. Returns once the server lists it.
    func openSession(_ database: String) throws -> ChildProcess {
        let session = try ChildProcess.spawn(["psql", "-X", "-d", database, "-c", "SELECT pg_sleep(300)"], environment: clientEnvironment)
        for _ in 0..<200 {
            if try psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)'") != "0" { return session }
            usleep(25_000)
        }
        session.terminate()
        throw HarnessError(description: "a session on \(database) never showed up in pg_stat_activity")
    }

    func databaseExists(_ name: String) throws -> Bool {
        try psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = '\(name)'") == "1"
    }

    /// Every user table of `database` with the md5 of its rows in a total order (byte order of
    /// each row's text): two databases with equal maps hold the same data row for row.
    /// Computed here with its own SQL, not with the code under test.
    func tableChecksums(_ database: String) throws -> [String: String] {
        let tables = try psql(database, """
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 1
            """).split(separator: "\n").map(String.init)
        var out: [String: String] = [:]
        for table in tables {
            out[table] = try psql(database, "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\")), '-') FROM \(table) t")
        }
        return out
    }

    // MARK: - AqStream data

    /// The AqStream databases with schemas and awkward data: NULLs, quotes, tabs, newlines,
    /// backslashes, unicode, jsonb, numeric, timestamps; and pgbench's tables.
    static let aqstreamDatabases = ["shared_services_db", "user_service_db", "payment_service_db"]

    func createAqStreamDatabases(events: Int = 5_000, pgbenchScale: Int = 1) throws {
        for db in Self.aqstreamDatabases { try psql("postgres", "CREATE DATABASE \(db)") }
        try psql("shared_services_db", """
            CREATE SCHEMA event_service;
            CREATE TABLE event_service.events (
                id bigserial PRIMARY KEY,
                organizer_id int NOT NULL,
                title text NOT NULL,
                description text,
                payload jsonb,
                starts_at timestamptz NOT NULL,
                price numeric(12,2)
            );
            INSERT INTO event_service.events (organizer_id, title, description, payload, starts_at, price)
            SELECT g % 97,
                   'Event ' || g || CASE WHEN g % 5 = 0 THEN E' with ''quotes'', a\\ttab and a\\nnewline' ELSE '' END,
                   CASE WHEN g % 7 = 0 THEN NULL ELSE 'Описание события №' || g || E' \\\\ backslash' END,
                   jsonb_build_object('seats', g % 300, 'tags', jsonb_build_array('a', g % 3)),
                   timestamptz '2024-01-15 03:00:00+00' + g * interval '17 minutes',
                   CASE WHEN g % 4 = 0 THEN NULL ELSE (g % 1000) / 3.0 END
            FROM generate_series(1, \(events)) g;
            CREATE SCHEMA notification_service;
            CREATE TABLE notification_service.templates (code text PRIMARY KEY, body text NOT NULL);
            INSERT INTO notification_service.templates VALUES ('welcome', E'Hello,\\n{{name}}!'), ('empty', '');
            CREATE TABLE notification_service.outbox (id int PRIMARY KEY, sent boolean);
            """)
        try psql("user_service_db", """
            CREATE SCHEMA user_service;
            CREATE TABLE user_service.users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text UNIQUE NOT NULL,
                                             display_name text, created_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO user_service.users (email, display_name, created_at)
            SELECT 'user' || g || '@example.org', CASE WHEN g % 3 = 0 THEN NULL ELSE 'Пользователь ' || g END,
                   timestamptz '2023-06-01 00:00:00+00' + g * interval '1 hour'
            FROM generate_series(1, 2000) g;
            """)
        try psql("payment_service_db", """
            CREATE SCHEMA payment_service;
            CREATE TABLE payment_service.payments (id bigint PRIMARY KEY, amount numeric(14,2) NOT NULL, currency char(3) NOT NULL,
                                                   status text NOT NULL CHECK (status IN ('new','paid','refunded')));
            INSERT INTO payment_service.payments SELECT g, g * 1.25, 'RUB', (ARRAY['new','paid','refunded'])[1 + g % 3]
            FROM generate_series(1, 3000) g;
            """)
        try client(["pgbench", "-i", "-q", "-s", String(pgbenchScale), "-d", "payment_service_db"])
    }

    // MARK: - Processes

    /// `postgres` if it exists, else a `runbook-test` system user created for the purpose.
    static func unprivilegedUser() throws -> String {
        for name in ["postgres", "runbook-test"] where getpwnam(name) != nil { return name }
        try sh(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "runbook-test"])
        return "runbook-test"
    }

    static func asUser(_ user: String, _ argv: [String]) throws {
        try sh(["runuser", "-u", user, "--"] + argv)
    }

    static func sh(_ argv: [String]) throws {
        _ = try run(argv, environment: ProcessInfo.processInfo.environment)
    }

    /// Runs a process to completion and returns its stdout; throws with stderr when it fails.
    /// Output goes through temporary files, not pipes: a server started by pg_ctl would
    /// inherit a pipe and hold it open forever.
    @discardableResult
    static func run(_ argv: [String], environment: [String: String]) throws -> String {
        let base = NSTemporaryDirectory() + "runbook-harness-" + UUID().uuidString
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        let status = try ChildProcess.spawn(argv, environment: environment, stdout: base + ".out", stderr: base + ".err").wait()
        let out = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        guard status == 0 else {
            let err = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
            throw HarnessError(description: "\(argv.joined(separator: " ").prefix(300)) failed (\(status)): \(err)\(out.prefix(2000))")
        }
        return out
    }

    /// Runs a command that leaves a daemon behind, with its output in `log`.
    static func daemonize(_ argv: [String], log: String) throws {
        let status = try ChildProcess.spawn(argv, environment: ProcessInfo.processInfo.environment, stdout: log, stderr: log).wait()
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw HarnessError(description: "\(argv.joined(separator: " ")) failed (\(status)): \(text)")
        }
    }

    /// A port on 127.0.0.1 that nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError(description: "socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError(description: "bind() failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw HarnessError(description: "getsockname() failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
