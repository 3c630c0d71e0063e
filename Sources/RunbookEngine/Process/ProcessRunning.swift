import Foundation
import RunbookCore

/// How a process ended.
public enum TerminationStatus: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var isSuccess: Bool { self == .exited(0) }
    /// Shell convention: the exit code, or 128 + signal.
    public var code: Int32 {
        switch self {
        case .exited(let c): return c
        case .signaled(let s): return 128 + s
        }
    }
    public var description: String {
        switch self {
        case .exited(let c): return "exit \(c)"
        case .signaled(let s): return "signal \(s)"
        }
    }
}

public struct ProcessResult: Sendable {
    public var status: TerminationStatus
    /// Captured stdout when the command has no `stdoutFile` (bounded; see `ProcessRunner`).
    public var stdout: Data
    /// The last part of stderr, for diagnostics.
    public var stderrTail: String
    /// Bytes written to stdout, whether captured or sent to a file.
    public var outputBytes: Int
    public var duration: Double
    /// True when the timeout expired and the process group was torn down.
    public var timedOut: Bool
    /// Status of the `stdinFrom` producer, when there was one.
    public var producerStatus: TerminationStatus?
    /// sha256 (hex) of what went to `stdoutFile`, hashed while it was written; nil without one
    /// (or from a runner that does not hash).
    public var stdoutSHA256: String?

    public init(status: TerminationStatus, stdout: Data = Data(), stderrTail: String = "", outputBytes: Int = 0,
                duration: Double = 0, timedOut: Bool = false, producerStatus: TerminationStatus? = nil) {
        self.status = status
        self.stdout = stdout
        self.stderrTail = stderrTail
        self.outputBytes = outputBytes
        self.duration = duration
        self.timedOut = timedOut
        self.producerStatus = producerStatus
    }

    /// Both the process and any producer piped into it succeeded, and no timeout.
    public var succeeded: Bool { status.isSuccess && !timedOut && (producerStatus?.isSuccess ?? true) }
    public var stdoutString: String { String(decoding: stdout, as: UTF8.self) }
}

/// Starts processes. Every process the engine starts goes through one of these,
/// so tests may swap it and nothing bypasses timeouts, redaction or teardown.
public protocol ProcessRunning: Sendable {
    /// Runs `command` with `environment` added to the inherited one (secrets already resolved).
    /// When `stdoutFile` is set, output goes to `<file>.partial` and is renamed on success only.
    /// On timeout or task cancellation the whole process group gets SIGINT, SIGTERM, then SIGKILL.
    func run(_ command: CommandLine, environment: [String: String], timeout: Double?,
             onOutput: (@Sendable (String) -> Void)?) async throws -> ProcessResult
}
