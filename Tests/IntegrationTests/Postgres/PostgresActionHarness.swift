import Foundation
@testable import RunbookActions
import RunbookCore
import RunbookEngine

/// Runs postgres actions against a `PostgresCluster` the way the interpreter does: inputs
/// with defaults, targets bound through a profile, secrets resolved into the child's
/// environment, audit events collected.
final class PostgresActionHarness: @unchecked Sendable {
    let cluster: PostgresCluster
    let profile: Profile
    let processes: any ProcessRunning
    private let lock = NSLock()
    private var events: [(String, [String: Value])] = []
    private var logText = ""

    let secrets: [String: String]

    /// Target `db` connects over TCP with the password (secret `pg_password`); `sock` over the socket.
    convenience init(cluster: PostgresCluster, processes: any ProcessRunning) {
        let here = SourceLocation(file: "test-profile.yaml", line: 1, column: 1)
        let profile = Profile(name: "test", path: "test-profile.yaml",
                              secrets: [SecretDecl(name: "pg_password", env: "PG_TEST_PASSWORD", location: here)],
                              targets: [
                                  TargetDecl(name: "db", binding: .postgres(cluster.tcpTarget()), location: here),
                                  TargetDecl(name: "sock", binding: .postgres(cluster.socketTarget), location: here),
                              ])
        self.init(cluster: cluster, processes: processes, profile: profile, secrets: ["pg_password": cluster.password])
    }

    init(cluster: PostgresCluster, processes: any ProcessRunning, profile: Profile, secrets: [String: String]) {
        self.cluster = cluster
        self.processes = processes
        self.profile = profile
        self.secrets = secrets
    }

    var auditEvents: [(String, [String: Value])] { lock.withLock { events } }
    var log: String { lock.withLock { logText } }

    func call(_ action: any ActionDefinition, _ inputs: [String: Value]) -> ResolvedCall {
        var all = inputs
        for spec in action.spec.inputs where all[spec.name] == nil {
            if let d = spec.defaultValue { all[spec.name] = d }
        }
        var targets: [String: TargetDecl] = [:]
        for spec in action.spec.inputs {
            if case .target = spec.type, let name = all[spec.name]?.stringValue, let decl = profile.target(name) {
                targets[spec.name] = decl
            }
        }
        return ResolvedCall(spec: action.spec, stepID: "test", inputs: all, targets: targets)
    }

    func planContext(runID: String) -> PlanContext {
        PlanContext(profile: profile, runID: runID, stateDir: cluster.root + "/state")
    }

    func plan(_ action: any ActionDefinition, _ inputs: [String: Value], runID: String = "run-1") throws -> [PlannedOperation] {
        try action.plan(call(action, inputs), in: planContext(runID: runID))
    }

    func run(_ action: any ExecutableAction, _ inputs: [String: Value], runID: String = "run-1") async throws -> ActionResult {
        let context = RunContext(
            plan: planContext(runID: runID), processes: processes, secrets: secrets, timeout: 300,
            log: { [weak self] text in self?.lock.withLock { self?.logText += text } },
            audit: { [weak self] event, fields in self?.lock.withLock { self?.events.append((event, fields)) } })
        return try await action.run(call(action, inputs), in: context)
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Files in a directory, for "nothing was left behind" assertions.
func directoryListing(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}
