import Foundation
import RunbookCore

/// An action the engine can run. Small on purpose: declare inputs (`spec`),
/// describe (`plan`), do (`run`). Postgres, compose, s3, http, file and shell
/// all plug in through this one protocol; the interpreter knows none of them.
public protocol ExecutableAction: ActionDefinition {
    /// Performs the call. A failed command or check is a result (`succeeded == false`),
    /// not a thrown error; throw only when the action could not be attempted.
    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult
}

public struct ActionResult: Sendable {
    public var succeeded: Bool
    /// Values later steps read as `${steps.<id>.outputs.<name>}`.
    public var outputs: [String: Value]
    /// One line for the operator: why it failed, or what it achieved.
    public var message: String?
    /// Exit status of the last process, when there was one.
    public var exitStatus: Int32?
    /// Bytes the action produced (stdout of processes, files written).
    public var outputBytes: Int

    public init(succeeded: Bool, outputs: [String: Value] = [:], message: String? = nil,
                exitStatus: Int32? = nil, outputBytes: Int = 0) {
        self.succeeded = succeeded
        self.outputs = outputs
        self.message = message
        self.exitStatus = exitStatus
        self.outputBytes = outputBytes
    }

    public static func ok(_ message: String? = nil, outputs: [String: Value] = [:]) -> ActionResult {
        ActionResult(succeeded: true, outputs: outputs, message: message)
    }

    public static func failed(_ message: String, exitStatus: Int32? = nil) -> ActionResult {
        ActionResult(succeeded: false, message: message, exitStatus: exitStatus)
    }
}

/// Everything an action may use while running. Created by the interpreter per call.
public struct RunContext: Sendable {
    public var plan: PlanContext
    public var processes: any ProcessRunning
    /// Resolved secret values by name. Pass them to children via `EnvValue.secret`, never argv.
    public var secrets: [String: String]
    /// Per-call timeout in seconds, from the step's `timeout:`.
    public var timeout: Double?
    /// Live output for the terminal's tail (already redacted by the sink).
    public var log: @Sendable (String) -> Void
    /// Records an extra audit event (e.g. a retention deletion with its reason).
    public var audit: @Sendable (_ event: String, _ fields: [String: Value]) -> Void
    /// Where this call sits in the run: `step`, `step[item]`, `parent-step/child-step`.
    public var stepPath: String = ""
    /// Runs another runbook inside this run (`runbook.run`); nil where nesting is not possible.
    public var nested: (any NestedRunbookRunning)?
    /// Writes a secret to a 0600 file deleted when the run ends, for tools that read secrets only from files.
    public var secretFileWriter: (@Sendable (_ name: String, _ value: String) throws -> String)?

    public init(plan: PlanContext, processes: any ProcessRunning, secrets: [String: String], timeout: Double? = nil,
                log: @escaping @Sendable (String) -> Void = { _ in },
                audit: @escaping @Sendable (String, [String: Value]) -> Void = { _, _ in }) {
        self.plan = plan
        self.processes = processes
        self.secrets = secrets
        self.timeout = timeout
        self.log = log
        self.audit = audit
    }

    /// The path of a 0600 file holding secret `name`, deleted when the run ends. Never put its value in argv.
    public func secretFile(_ name: String) throws -> String {
        guard let value = secrets[name] else { throw ActionInputError.invalid(name, "secret \"\(name)\" is not available") }
        guard let writer = secretFileWriter else { throw ActionInputError.invalid(name, "secret files are not available here") }
        return try writer(name, value)
    }

    /// Resolves a command's symbolic environment (secrets) into real values.
    public func environment(for command: CommandLine) throws -> [String: String] {
        var env: [String: String] = [:]
        for (k, v) in command.environment {
            switch v {
            case .literal(let s): env[k] = s
            case .secret(let name):
                guard let value = secrets[name] else { throw ActionInputError.invalid(k, "secret \"\(name)\" is not available") }
                env[k] = value
            }
        }
        return env
    }
}

/// Runs a runbook inside the current run: same audit trail, same journal, same
/// locks and rollback saga; its steps are recorded as `<parent step>/<step>`.
public protocol NestedRunbookRunning: Sendable {
    /// Succeeds when every step of the child succeeded. Throws `CancellationError` when interrupted.
    func runRunbook(named name: String, params: [String: Value], from context: RunContext) async throws -> ActionResult
}
