import Foundation
import RunbookCore

/// The `ProcessRunning` actions get: every process they start is recorded in the
/// audit trail (argv redacted, the names of its environment variables but never
/// their values, exit status, duration, output size), and its output lines are
/// shown live under the step.
struct RecordingProcesses: ProcessRunning {
    let base: any ProcessRunning
    let recorder: RunRecorder
    let path: String
    let action: String?
    /// Opens a command's shared connection (ssh control master) before its first use in the run.
    var connections: RunConnections? = nil

    func run(_ command: CommandLine, environment: [String: String], timeout: Double?,
             onOutput: (@Sendable (String) -> Void)?) async throws -> ProcessResult {
        let recorder = self.recorder
        let path = self.path
        let live: @Sendable (String) -> Void = onOutput ?? { line in recorder.show(.output(path: path, line: line)) }
        var data: [String: Value] = ["transport": .string(command.transport)]
        if !command.environment.isEmpty { data["env"] = .list(command.environment.keys.sorted().map { .string($0) }) }
        if let p = command.stdinFrom { data["stdin_from"] = .list(p.map { .string($0) }) }
        if let f = command.stdinFile { data["stdin_file"] = .string(f) }
        if let f = command.stdoutFile { data["stdout_file"] = .string(f) }
        if let connection = command.connection { try await connections?.ensure(connection, using: self) }
        do {
            let result = try await base.run(command, environment: environment, timeout: timeout, onOutput: live)
            if let p = result.producerStatus { data["producer_status"] = .string(p.description) }
            if result.timedOut { data["timed_out"] = .bool(true) }
            recorder.audit("process", step: path, action: action, argv: command.argv, exitStatus: result.status.code,
                           status: result.succeeded ? "ok" : "failed", duration: result.duration,
                           outputBytes: result.outputBytes,
                           message: result.succeeded ? nil : Self.lastLine(result.stderrTail), data: data)
            return result
        } catch {
            recorder.audit("process", step: path, action: action, argv: command.argv, status: "not-started",
                           message: "\(error)", data: data)
            throw error
        }
    }

    static func lastLine(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).last.map(String.init)
    }
}

/// `runs/<id>/processes`: a line per process group started (`+PGID START`) and
/// reaped (`-PGID`). Not fsynced: it only has to survive the death of runbook
/// itself (SIGKILL), which the page cache does. `resume` stops groups still alive.
public final class ProcessTrackerFile: ProcessTracking, @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private let fd: Int32

    public init(path: String) {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
    }

    deinit { if fd >= 0 { close(fd) } }

    public func started(processGroup: pid_t) {
        let start = ProcStat(pid: processGroup)?.startTime ?? 0
        append("+\(processGroup) \(start)\n")
    }

    public func finished(processGroup: pid_t) {
        append("-\(processGroup)\n")
    }

    private func append(_ line: String) {
        guard fd >= 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        _ = Array(line.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Groups recorded as started and not reaped whose leader (same pid, same start
    /// time) or any member is still alive.
    public static func leftovers(at path: String) -> [pid_t] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var open: [pid_t: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.dropFirst().split(separator: " ")
            guard let first = parts.first, let pgid = pid_t(first) else { continue }
            if line.hasPrefix("+") { open[pgid] = parts.count > 1 ? UInt64(parts[1]) ?? 0 : 0 }
            if line.hasPrefix("-") { open[pgid] = nil }
        }
        return open.compactMap { pgid, start in
            let members = ProcessGroup.liveMembers(pgid)
            guard !members.isEmpty else { return nil }
            // The leader may be gone while its children live on; if it is there, it must be the same process.
            if let leader = ProcStat(pid: pgid), leader.isAlive, start != 0, leader.startTime != start { return nil }
            return pgid
        }.sorted()
    }
}
