import Foundation
import XCTest

/// The built `runbook` binary, run with the shipped runbooks and a generated local profile that
/// points at a test cluster over TCP (the password through the profile's secret, from the
/// environment), and a state directory of its own.
struct RunbookCLI {
    let cluster: PostgresCluster
    let state: String
    let profilePath: String
    static let passwordVariable = "RUNBOOK_TEST_PG_PASSWORD"

    init(cluster: PostgresCluster, directory: String) throws {
        self.cluster = cluster
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        state = directory + "/state"
        profilePath = directory + "/local.yaml"
        try """
        profile: local-test
        secrets:
          pg_password: {env: \(Self.passwordVariable)}
        targets:
          db:
            postgres: {via: local, host: 127.0.0.1, port: \(cluster.port), user: aqstream, password: "${secrets.pg_password}"}
        """.write(toFile: profilePath, atomically: true, encoding: .utf8)
    }

    static var repository: String { PITRRunbookCLI.repoRoot }

    /// `$RUNBOOK_BIN`, else the `runbook` binary built next to this test bundle.
    static func binary() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: PITRRunbookCLI.path) else {
            throw PostgresCluster.HarnessError(description: "the runbook binary is not built (swift build --build-tests)")
        }
        return PITRRunbookCLI.path
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env[Self.passwordVariable] = cluster.password
        env.removeValue(forKey: "PGPASSWORD")
        env["NO_COLOR"] = "1"
        return env
    }

    /// `runbook run NAME PARAMS` with the profile, state directory and shipped runbooks.
    func argv(run name: String, _ params: [String: String], yes: Bool = true) throws -> [String] {
        var argv = [try Self.binary(), "run", name, "--profile", profilePath, "--state-dir", state,
                    "--runbooks-dir", Self.repository + "/runbooks"]
        for (k, v) in params.sorted(by: { $0.key < $1.key }) { argv += ["--param", "\(k)=\(v)"] }
        if yes { argv.append("--yes") }
        return argv
    }

    /// Starts a run, output (stdout and stderr) to `log`.
    func start(_ name: String, _ params: [String: String], log: String) throws -> ChildProcess {
        try ChildProcess.spawn(try argv(run: name, params), environment: environment, stdout: log, stderr: log)
    }

    /// Runs to the end; the exit status and the output.
    func run(_ name: String, _ params: [String: String]) throws -> (status: Int32, output: String) {
        let log = state + "-" + UUID().uuidString.prefix(6) + ".log"
        let status = try start(name, params, log: log).wait()
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    var auditLines: [String] {
        ((try? String(contentsOfFile: state + "/audit.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
