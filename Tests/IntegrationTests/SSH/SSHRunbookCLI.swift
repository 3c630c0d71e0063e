import Foundation

/// The built `runbook` binary run against an ssh target: a profile written for the test's
/// sshd and PostgreSQL cluster, runbooks written by the test, a state directory of its own,
/// and a watcher that reads every process's argv (`/proc/*/cmdline`) while the run lasts.
struct SSHRunbookCLI {
    let directory: String
    let state: String
    let profilePath: String
    let runbooksDir: String
    let password: String
    static let passwordVariable = "RUNBOOK_TEST_PG_PASSWORD"

    init(directory: String, password: String, profile: String) throws {
        self.directory = directory
        self.password = password
        state = directory + "/state"
        profilePath = directory + "/profile.yaml"
        runbooksDir = directory + "/runbooks"
        try FileManager.default.createDirectory(atPath: runbooksDir, withIntermediateDirectories: true)
        try profile.write(toFile: profilePath, atomically: true, encoding: .utf8)
    }

    func write(runbook name: String, _ text: String) throws {
        try text.write(toFile: runbooksDir + "/\(name).yaml", atomically: true, encoding: .utf8)
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env[Self.passwordVariable] = password
        env.removeValue(forKey: "PGPASSWORD")
        env["NO_COLOR"] = "1"
        return env
    }

    struct Outcome {
        var status: Int32
        var output: String
        /// Every argv seen during the run that held the password.
        var leaks: [String]
        /// How many scans of /proc ran while the run lasted.
        var scans: Int
    }

    /// `runbook COMMAND NAME --profile ... PARAMS`, scanning /proc for `password` until it exits.
    func invoke(_ command: String, _ name: String, _ params: [String: String] = [:], extra: [String] = []) throws -> Outcome {
        var argv = [try RunbookCLI.binary(), command, name, "--profile", profilePath, "--runbooks-dir", runbooksDir]
        if command == "run" { argv += ["--state-dir", state, "--yes"] }
        for (k, v) in params.sorted(by: { $0.key < $1.key }) { argv += ["--param", "\(k)=\(v)"] }
        argv += extra
        let log = directory + "/\(command)-\(UUID().uuidString.prefix(6)).log"
        let child = try ChildProcess.spawn(argv, environment: environment, stdout: log, stderr: log)
        let scanner = ArgvScanner(secret: password)
        scanner.start()
        let status = try child.wait()
        let (leaks, scans) = scanner.stop()
        return Outcome(status: status, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "", leaks: leaks, scans: scans)
    }
}

/// Reads `/proc/*/cmdline` of every process, over and over, on a thread of its own.
final class ArgvScanner: @unchecked Sendable {
    let secret: String
    private let lock = NSLock()
    private var running = true
    private var leaks: [String] = []
    private var scans = 0
    private var thread: Thread?

    init(secret: String) { self.secret = secret }

    func start() {
        let t = Thread { [self] in
            while lock.withLock({ running }) {
                let found = Self.argvs().filter { $0.contains(secret) }
                lock.withLock {
                    leaks += found
                    scans += 1
                }
                usleep(5_000)
            }
        }
        thread = t
        t.start()
    }

    func stop() -> ([String], Int) {
        lock.withLock { running = false }
        usleep(20_000)
        return lock.withLock { (leaks, scans) }
    }

    /// Every live process's argv, NULs as spaces.
    static func argvs() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> String? in
            guard Int(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty else { return nil }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        }
    }
}
