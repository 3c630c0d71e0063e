import Foundation
import RunbookCore
@testable import RunbookActions

/// A throwaway PostgreSQL 15 cluster for PITR tests, managed the way the `pitr` actions
/// expect a `via: local` server: a data directory owned by an unprivileged OS user (initdb
/// refuses root), started with `pg_ctl -D DATA -l DATA.server.log`, in a private temporary
/// directory owned by that user (so the data directory can be renamed beside itself),
/// listening on a private unix socket only (`listen_addresses = ''`) on a free port.
/// Archiving is *not* configured here: the tests turn it on with the `wal-archiving-setup` runbook.
///
/// `shutdown()` stops every server the test left running under the directory and deletes it;
/// call it from `tearDown`/`defer`.
final class PITRCluster: @unchecked Sendable {
    static let binDir = "/usr/lib/postgresql/15/bin"
    static let osUserName = "runbook-pg"
    static let superuser = "postgres"

    let root: String
    let dataDir: String
    let socketDir: String
    let archiveDir: String
    let backupDir: String
    let stateDir: String
    let port: Int

    struct HarnessError: Error, CustomStringConvertible { var description: String }

    init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binDir + "/initdb") else {
            throw HarnessError(description: "PostgreSQL 15 server binaries are missing in \(Self.binDir) (apt-get install -y postgresql-15)")
        }
        try Self.ensureUser()
        var template = Array((NSTemporaryDirectory() + "runbook-pitr-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError(description: "mkdtemp failed") }
        root = String(cString: made)
        dataDir = root + "/data"
        socketDir = root + "/sock"
        archiveDir = root + "/wal_archive"
        backupDir = root + "/backups"
        stateDir = root + "/state"
        port = try Self.freePort()
        do {
            try Self.sh(["chown", Self.osUserName, root])
            chmod(root, 0o755)
            try Self.asUser(["mkdir", "-m", "0700", socketDir])
            try Self.asUser([Self.binDir + "/initdb", "-D", dataDir, "-U", Self.superuser, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"])
            let conf = """

                listen_addresses = ''
                port = \(port)
                unix_socket_directories = '\(socketDir)'
                max_connections = 30
                shared_buffers = 32MB
                """
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDir + "/postgresql.conf"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((conf + "\n").utf8))
            try handle.close()
            try start()
        } catch {
            shutdown()
            throw error
        }
    }

    /// The server log, where the `pitr` actions also write (`<data_dir>.server.log`).
    var logFile: String { dataDir + ".server.log" }

    func start() throws {
        try Self.asUser([Self.binDir + "/pg_ctl", "-D", dataDir, "-l", logFile, "-w", "-t", "60", "start"])
    }

    func stopFast() throws {
        try Self.asUser([Self.binDir + "/pg_ctl", "-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    var isRunning: Bool {
        (try? Self.asUser([Self.binDir + "/pg_ctl", "-D", dataDir, "status"])) != nil
    }

    /// Every server still running on a directory under `root` is stopped, then `root` is deleted.
    func shutdown() {
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in dirs where FileManager.default.fileExists(atPath: root + "/" + name + "/postmaster.pid") {
            _ = try? Self.asUser([Self.binDir + "/pg_ctl", "-D", root + "/" + name, "-m", "immediate", "-w", "-t", "30", "stop"])
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    // MARK: - Profile and targets

    var target: PostgresTarget {
        PostgresTarget(via: .local, host: socketDir, port: port, user: Self.superuser, dataDir: dataDir, binDir: Self.binDir)
    }

    /// A profile file binding target `db` to this cluster.
    func writeProfile() throws -> String {
        let path = root + "/profile.yaml"
        let text = """
            profile: pitr-test
            description: A throwaway PostgreSQL 15 cluster of an integration test.
            targets:
              db:
                postgres:
                  via: local
                  host: \(socketDir)
                  port: \(port)
                  user: \(Self.superuser)
                  data_dir: \(dataDir)
                  bin_dir: \(Self.binDir)

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: - Direct access, independent of the code under test

    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Self.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(port),
                      "-U", Self.superuser, "-d", database, "-c", sql]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The server's clock, to microseconds.
    func clock() throws -> Instant {
        let text = try psql("SELECT extract(epoch FROM clock_timestamp())")
        guard let t = Instant.parseEpoch(text) else { throw HarnessError(description: "bad clock \(text)") }
        return t
    }

    func archivedNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: archiveDir).sorted()
    }

    /// SIGKILL to the postmaster: a crash, leaving WAL that was not archived yet only in pg_wal.
    func crash() throws {
        let pidText = try String(contentsOfFile: dataDir + "/postmaster.pid", encoding: .utf8)
        guard let pid = Int32(pidText.split(separator: "\n").first ?? "") else { throw HarnessError(description: "no postmaster pid") }
        kill(pid, SIGKILL)
        let deadline = Date().addingTimeInterval(10)
        while kill(pid, 0) == 0 && Date() < deadline { usleep(10_000) }
    }

    // MARK: - Processes

    static func ensureUser() throws {
        if getpwnam(osUserName) == nil {
            try sh(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", osUserName])
        }
    }

    @discardableResult
    static func asUser(_ argv: [String]) throws -> String {
        try run(["runuser", "-u", osUserName, "--"] + argv)
    }

    static func sh(_ argv: [String]) throws {
        _ = try run(argv)
    }

    /// Runs a process to completion (through the postgres harness's spawn-based runner, so a
    /// daemon started by pg_ctl cannot hold a pipe open) and returns stdout; throws with stderr.
    @discardableResult
    static func run(_ argv: [String]) throws -> String {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "PGPASSWORD")
        return try PostgresCluster.run(argv, environment: env)
    }

    static func freePort() throws -> Int { try PostgresCluster.freePort() }
}

/// The built `runbook` binary (beside the test bundle, or `$RUNBOOK_BIN`), run as an operator would.
enum PITRRunbookCLI {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var text: String { stdout + stderr }
    }

    static var path: String {
        if let p = ProcessInfo.processInfo.environment["RUNBOOK_BIN"], !p.isEmpty { return p }
        let testExecutable = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        return testExecutable.deletingLastPathComponent().appendingPathComponent("runbook").path
    }

    /// The repository root; runs pass absolute paths, so the working directory (`/`) does not matter.
    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// `runbook run NAME --profile P --state-dir S --yes --param k=v ...` from the repository's runbooks.
    static func run(_ runbook: String, cluster: PITRCluster, profile: String, params: [String: String]) throws -> Output {
        var args = ["run", runbook, "--profile", profile, "--state-dir", cluster.stateDir, "--yes",
                    "--runbooks-dir", repoRoot + "/runbooks"]
        for key in params.keys.sorted() { args += ["--param", "\(key)=\(params[key]!)"] }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        let base = NSTemporaryDirectory() + "runbook-pitr-cli-" + UUID().uuidString
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        let status = try ChildProcess.spawn([path] + args, environment: env, stdout: base + ".out", stderr: base + ".err").wait()
        return Output(status: status, stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }
}
