import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

/// The `compose.*` actions against a real Docker Engine with Compose v2: a private dockerd
/// and the test compose project (postgres-shared, s3, app), driven through the engine's
/// real ProcessRunner, and checked with the docker CLI directly.
final class ComposeActionsTests: XCTestCase {
    private static let shared = SharedComposeStack()
    private var stack: ComposeStack!
    private var scratch = ""

    override func setUpWithError() throws {
        stack = try Self.shared.acquire()
        scratch = stack.engine.root + "/scratch-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override class func tearDown() {
        shared.release()
        super.tearDown()
    }

    // MARK: - Calling actions as the engine does

    private func call(_ name: String, _ inputs: [String: Value]) throws -> (any ExecutableAction, ResolvedCall) {
        let action = try XCTUnwrap(Registry.executable(name), "\(name) is not registered")
        var all: [String: Value] = [:]
        for input in action.spec.inputs { if let d = input.defaultValue { all[input.name] = d } }
        all.merge(inputs) { _, given in given }
        all["target"] = .string("stack")
        let stackTarget = TargetDecl(name: "stack", binding: .compose(stack.target), location: SourceLocation(file: "test", line: 1, column: 1))
        return (action, ResolvedCall(spec: action.spec, stepID: "step", inputs: all, targets: ["target": stackTarget]))
    }

    private func context(secrets: [String: String] = [:]) -> RunContext {
        RunContext(plan: PlanContext(profile: nil, runID: "test-run", stateDir: scratch), processes: ProcessRunner(),
                   secrets: secrets, timeout: 300)
    }

    private func run(_ name: String, _ inputs: [String: Value], secrets: [String: String] = [:]) async throws -> ActionResult {
        let (action, resolved) = try call(name, inputs)
        return try await action.run(resolved, in: context(secrets: secrets))
    }

    private func services(_ names: String...) -> Value { .list(names.map { .string($0) }) }

    // MARK: - Lifecycle

    func testUpWithWaitReturnsOnlyWhenEveryServiceIsHealthy() async throws {
        _ = try? stack.compose(["down"])
        let started = Date()
        let result = try await run("compose.up", [:])
        let seconds = Date().timeIntervalSince(started)
        XCTAssertTrue(result.succeeded, result.message ?? "")
        let states = try stack.states()
        for service in ComposeStack.services {
            XCTAssertEqual(states[service], "running healthy", "\(service) right after compose.up --wait")
        }
        // The app is UP only while PostgreSQL and S3 both accept connections.
        let health = try Host.run(["curl", "-sS", "-m", "5", stack.appURL + "/actuator/health"])
        XCTAssertTrue(health.contains("\"status\": \"UP\""), health)
        print("compose.up --wait (3 services, new containers, existing data): \(String(format: "%.1f", seconds))s")
    }

    func testUpFailureShowsTheServicesLastLogLines() async throws {
        try stack.up()
        // A service that exits at once can never become healthy: up --wait fails, and the
        // message carries what the service printed.
        let override = scratch + "/broken.yml"
        try """
            services:
              broken:
                image: \(DockerEngine.image)
                network_mode: host
                user: "65534:65534"
                volumes: ["/usr:/usr:ro", "/etc:/etc:ro"]
                command: ["/usr/bin/bash", "-c", "echo broken-service-says-goodbye; exit 3"]
                healthcheck: {test: ["CMD", "/usr/bin/true"], interval: 1s, retries: 3}
            """.write(toFile: override, atomically: true, encoding: .utf8)
        let project = ComposeTarget(projectDir: scratch, files: [override], projectName: "aqstream-broken")
        let action = try XCTUnwrap(Registry.executable("compose.up"))
        let inputs: [String: Value] = ["target": .string("stack"), "wait": .bool(true), "wait_timeout": .string("20s"), "services": services("broken")]
        let decl = TargetDecl(name: "stack", binding: .compose(project), location: SourceLocation(file: "t", line: 1, column: 1))
        defer { _ = try? self.stack.engine.docker(["compose", "--project-directory", scratch, "-f", override, "-p", "aqstream-broken", "down"]) }
        let result = try await action.run(ResolvedCall(spec: action.spec, stepID: "up", inputs: inputs, targets: ["target": decl]), in: context())
        XCTAssertFalse(result.succeeded)
        XCTAssertTrue(result.message?.contains("broken-service-says-goodbye") ?? false, result.message ?? "")
    }

    func testStopThenStartBringsTheServiceBackHealthy() async throws {
        try stack.up()
        let stopped = try await run("compose.stop", ["services": services("app"), "timeout": .string("5s")])
        XCTAssertTrue(stopped.succeeded, stopped.message ?? "")
        XCTAssertEqual(try stack.states()["app"], "exited", "app after compose.stop")
        XCTAssertEqual(try stack.states()["postgres-shared"], "running healthy", "stopping app leaves the others alone")

        let check = try await run("compose.healthy", ["services": services("app", "postgres-shared"), "timeout": .string("2s"), "interval": .string("500ms")])
        XCTAssertFalse(check.succeeded)
        XCTAssertEqual(check.message, "not up by the deadline: app: exited with code 0")

        let startedResult = try await run("compose.start", ["services": services("app")])
        XCTAssertTrue(startedResult.succeeded, startedResult.message ?? "")
        let healthy = try await run("compose.healthy", ["services": services("app"), "timeout": .string("60s")])
        XCTAssertTrue(healthy.succeeded, healthy.message ?? "")
        XCTAssertEqual(try stack.states()["app"], "running healthy")
    }

    func testRestartStartsTheContainerAgain() async throws {
        try stack.up()
        let before = try stack.startedAt("s3")
        let result = try await run("compose.restart", ["services": services("s3")])
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertNotEqual(try stack.startedAt("s3"), before, "the container's StartedAt must change")
        let healthy = try await run("compose.healthy", ["services": services("s3"), "timeout": .string("60s")])
        XCTAssertTrue(healthy.succeeded, healthy.message ?? "")
    }

    func testHealthyWaitsForAServiceThatIsStillStarting() async throws {
        try stack.up()
        try stack.compose(["restart", "postgres-shared"])
        // Right after a restart the health check has not passed yet; the check polls until it does.
        let result = try await run("compose.healthy", ["services": services("postgres-shared"), "timeout": .string("60s"), "interval": .string("200ms")])
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertEqual(result.outputs["states"], .string("postgres-shared running (healthy)"))
    }

    func testHealthyFailsAtOnceForAServiceTheProjectDoesNotDefine() async throws {
        try stack.up()
        let started = Date()
        let result = try await run("compose.healthy", ["services": services("postgres-sharde"), "timeout": .string("30s")])
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.message, "the project defines no service \"postgres-sharde\"; did you mean \"postgres-shared\"? (services: app, postgres-shared, s3)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "waiting cannot make a service appear")
    }

    func testPsRecordsEveryServiceState() async throws {
        try stack.up()
        let result = try await run("compose.ps", [:])
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertEqual(result.outputs["states"], .string("app running (healthy), postgres-shared running (healthy), s3 running (healthy)"))
    }

    // MARK: - exec

    func testExecStreamsStdinFromAndStdoutToHostFilesAsArgv() async throws {
        try stack.up()
        // Bytes a shell or a TTY would mangle: quotes, $(), CR/LF, NUL, high bytes.
        var input = Data("line 'one' \"two\" $(rm -rf /) ; `x`\r\n".utf8)
        input.append(contentsOf: (0...255).map { UInt8($0) })
        input.append(Data(repeating: 0x41, count: 3 << 20))
        let inPath = scratch + "/in.bin", outPath = scratch + "/out.bin"
        try input.write(to: URL(fileURLWithPath: inPath))
        let result = try await run("compose.exec", ["service": .string("app"), "command": .list([.string("/usr/bin/cat")]),
                                                   "stdin": .string(inPath), "stdout": .string(outPath)])
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: outPath)), input, "cat inside the container must return the bytes unchanged")
        XCTAssertFalse(FileManager.default.fileExists(atPath: outPath + ".partial"))
    }

    func testExecPassesArgumentsVerbatimWithoutAShell() async throws {
        try stack.up()
        let tricky = "a b; echo injected $HOME `id` 'q'"
        let result = try await run("compose.exec", ["service": .string("app"),
                                                   "command": .list([.string("/usr/bin/printf"), .string("[%s]"), .string(tricky)])])
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertEqual(result.outputs["stdout"], .string("[\(tricky)]"))
    }

    func testExecFailureLeavesNoOutputFile() async throws {
        try stack.up()
        let outPath = scratch + "/never.txt"
        let result = try await run("compose.exec", ["service": .string("app"), "stdout": .string(outPath),
                                                   "command": .list(["/usr/bin/bash", "-c", "echo partial output; echo boom >&2; exit 7"].map { .string($0) })])
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.exitStatus, 7)
        XCTAssertTrue(result.message?.contains("boom") ?? false, result.message ?? "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: outPath), "a failed command must not leave a file that looks complete")
        XCTAssertFalse(FileManager.default.fileExists(atPath: outPath + ".partial"))
    }

    func testExecGivesSecretsThroughTheEnvironmentNeverArgv() async throws {
        try stack.up()
        let secret = "s3cr3t-" + UUID().uuidString
        let (action, resolved) = try call("compose.exec", ["service": .string("app"), "env": .map(["TOKEN": .secret("token")]),
                                                           "command": .list([.string("/usr/bin/printenv"), .string("TOKEN")])])
        let planned = try action.plan(resolved, in: context().plan)
        guard case .command(let command)? = planned.first else { return XCTFail("no command planned") }
        XCTAssertFalse(command.argv.joined(separator: " ").contains(secret))
        XCTAssertTrue(command.argv.contains("-T"), "exec must not ask for a TTY")
        XCTAssertEqual(Array(command.argv.suffix(5)), ["-e", "TOKEN", "app", "/usr/bin/printenv", "TOKEN"])
        let result = try await action.run(resolved, in: context(secrets: ["token": secret]))
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertEqual(result.outputs["stdout"], .string(secret))
    }

    // MARK: - logs

    func testLogsShowsTheLastLinesOfAService() async throws {
        try stack.up()
        let result = try await run("compose.logs", ["services": services("app"), "tail": .int(3)])
        XCTAssertTrue(result.succeeded, result.message ?? "")
        let lines = (result.outputs["logs"]?.description ?? "").split(separator: "\n")
        XCTAssertEqual(lines.count, 3, "tail 3: \(lines)")
        for line in lines {
            XCTAssertTrue(line.hasPrefix("app-1  | "), "each line names its container: \(line)")
        }
        XCTAssertTrue(lines.contains { $0.contains("GET /actuator/health") }, "the health checks' requests: \(lines)")
    }

    // MARK: - The compose transport for PostgreSQL tools

    func testPgDumpThroughComposeExecStreamsTheArchiveToTheHost() async throws {
        try stack.up()
        try stack.psql("shared_services_db", "DROP TABLE IF EXISTS transport_probe; CREATE TABLE transport_probe AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g")
        let dumpPath = scratch + "/shared.dump"
        // Over TCP with the password: proves PGPASSWORD reaches pg_dump via `-e PGPASSWORD`.
        let dump = CommandLine(argv: ["pg_dump", "-h", "127.0.0.1", "-p", String(stack.pgPort), "-U", "aqstream", "-w", "-Fc", "-d", "shared_services_db"],
                               environment: ["PGPASSWORD": .secret("pg")], stdoutFile: dumpPath)
        let wrapped = Transport.composeExec(project: stack.target, service: "postgres-shared").wrap(dump)
        XCTAssertFalse(wrapped.argv.contains(stack.pgPassword))
        let runner = ProcessRunner()
        let result = try await runner.run(wrapped, environment: ["PGPASSWORD": stack.pgPassword], timeout: 120, onOutput: nil)
        XCTAssertTrue(result.succeeded, result.stderrTail)
        let head = try XCTUnwrap(FileHandle(forReadingAtPath: dumpPath)).readData(ofLength: 5)
        XCTAssertEqual(head, Data("PGDMP".utf8), "a custom-format archive on the host")
        // The archive restores elsewhere with the same rows (read back through the container's stdin).
        try stack.psql("postgres", "DROP DATABASE IF EXISTS transport_copy")
        try stack.psql("postgres", "CREATE DATABASE transport_copy")
        try stack.compose(["exec", "-T", "postgres-shared", "pg_restore", "-d", "transport_copy"], stdinFile: dumpPath)
        XCTAssertEqual(try stack.tableChecksums("transport_copy")["public.transport_probe"],
                       try stack.tableChecksums("shared_services_db")["public.transport_probe"])
        try stack.psql("postgres", "DROP DATABASE transport_copy")

        let wrong = try await runner.run(wrapped, environment: ["PGPASSWORD": "wrong"], timeout: 60, onOutput: nil)
        XCTAssertFalse(wrong.succeeded)
        XCTAssertTrue(wrong.stderrTail.contains("password authentication failed"), wrong.stderrTail)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dumpPath + ".partial"))
    }

    // MARK: - postgres actions with `via: compose`

    /// A profile whose `db` runs the PostgreSQL tools inside postgres-shared, as a non-root
    /// user (the service's `user:`), over its socket.
    private func composeDatabaseProfile() -> Profile {
        let here = SourceLocation(file: "test", line: 1, column: 1)
        return Profile(name: "docker-test", path: "test", targets: [
            TargetDecl(name: "stack", binding: .compose(stack.target), location: here),
            TargetDecl(name: "db", binding: .postgres(PostgresTarget(via: .compose, user: "aqstream", compose: "stack", service: "postgres-shared")), location: here),
        ])
    }

    private func runPostgres(_ name: String, _ inputs: [String: Value]) async throws -> ActionResult {
        let action = try XCTUnwrap(Registry.executable(name))
        let profile = composeDatabaseProfile()
        var all: [String: Value] = [:]
        for input in action.spec.inputs { if let d = input.defaultValue { all[input.name] = d } }
        all.merge(inputs) { _, given in given }
        all["target"] = .string("db")
        let call = ResolvedCall(spec: action.spec, stepID: name, inputs: all, targets: ["target": try XCTUnwrap(profile.target("db"))])
        let context = RunContext(plan: PlanContext(profile: profile, runID: "compose-\(UUID().uuidString.prefix(6))", stateDir: scratch),
                                 processes: ProcessRunner(), secrets: [:], timeout: 300)
        return try await action.run(call, in: context)
    }

    func testDirectoryDumpAndParallelRestoreRunInsideTheServiceAsItsUser() async throws {
        try stack.up()
        try stack.psql("postgres", "DROP DATABASE IF EXISTS staging_source")
        try stack.psql("postgres", "CREATE DATABASE staging_source")
        try stack.psql("staging_source", "CREATE TABLE t AS SELECT g AS id, repeat(md5(g::text), 4) AS v FROM generate_series(1, 20000) g; CREATE TABLE u AS SELECT g AS id FROM generate_series(1, 100) g")
        let backups = scratch + "/backups"
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)

        // Directory format: pg_dump -Fd writes inside the container, `docker compose cp` copies it out.
        let dumped = try await runPostgres("postgres.dump", ["database": .string("staging_source"), "dir": .string(backups),
                                                             "format": .string("directory"), "name": .string("staged")])
        XCTAssertTrue(dumped.succeeded, dumped.message ?? "")
        let archive = try XCTUnwrap(dumped.outputs["path"]?.stringValue)
        XCTAssertTrue(FileManager.default.fileExists(atPath: archive + "/toc.dat"), archive)

        // Parallel restore of both formats: the archive is streamed into the container as the
        // service's user (uid of `user:` in the compose file, not root), restored with -j 2, removed.
        let custom = try await runPostgres("postgres.dump", ["database": .string("staging_source"), "dir": .string(backups),
                                                            "format": .string("custom"), "name": .string("staged-custom")])
        XCTAssertTrue(custom.succeeded, custom.message ?? "")
        for (target, from) in [("staging_dir_copy", archive), ("staging_custom_copy", try XCTUnwrap(custom.outputs["path"]?.stringValue))] {
            try stack.psql("postgres", "DROP DATABASE IF EXISTS \(target)")
            try stack.psql("postgres", "CREATE DATABASE \(target)")
            let restored = try await runPostgres("postgres.restore", ["database": .string(target), "from": .string(from), "jobs": .int(2)])
            XCTAssertTrue(restored.succeeded, "\(target): \(restored.message ?? "")")
            XCTAssertEqual(try stack.tableChecksums(target), try stack.tableChecksums("staging_source"), target)
        }
        let left = try stack.compose(["exec", "-T", "postgres-shared", "find", "/tmp", "-maxdepth", "1", "-name", "runbook-*"])
        XCTAssertEqual(left.trimmingCharacters(in: .whitespacesAndNewlines), "", "staged copies are removed from the container")
        for db in ["staging_source", "staging_dir_copy", "staging_custom_copy"] { try stack.psql("postgres", "DROP DATABASE \(db)") }
    }
}
