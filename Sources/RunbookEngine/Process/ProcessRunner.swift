import Foundation
import RunbookCore
import Subprocess
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Told when the engine starts and reaps a child, so a run killed with SIGKILL
/// leaves a record of process groups that `resume` can stop before going on.
public protocol ProcessTracking: Sendable {
    func started(processGroup: pid_t)
    func finished(processGroup: pid_t)
}

/// The one `ProcessRunning` implementation, on swift-subprocess.
///
/// - Each child is the leader of its own process group, so a timeout or an
///   interruption reaches everything it started: SIGINT, then SIGTERM, then
///   SIGKILL to the whole group, `gracePeriod` seconds apart; whatever survives
///   the leader is swept the same way. No child outlives a timed-out step.
/// - `stdoutFile` output goes straight from the child to `<file>.partial`
///   (constant memory), which is fsynced and renamed only when every stage succeeded.
/// - `stdinFrom` runs a producer piped into the command; both exit statuses count.
/// - Captured stdout is bounded (`captureLimit`); stderr keeps its last `stderrTailBytes`.
public struct ProcessRunner: ProcessRunning {
    public var captureLimit: Int
    public var stderrTailBytes: Int
    /// Seconds between SIGINT, SIGTERM and SIGKILL when tearing a group down.
    public var gracePeriod: Double
    public var tracker: (any ProcessTracking)?

    public init(captureLimit: Int = 4 << 20, stderrTailBytes: Int = 16 << 10, gracePeriod: Double = 2,
                tracker: (any ProcessTracking)? = nil) {
        self.captureLimit = captureLimit
        self.stderrTailBytes = stderrTailBytes
        self.gracePeriod = gracePeriod
        self.tracker = tracker
        ProcessGroup.adoptOrphans()
    }

    public func run(_ command: CommandLine, environment: [String: String], timeout: Double?,
                    onOutput: (@Sendable (String) -> Void)?) async throws -> ProcessResult {
        guard let program = command.argv.first, !program.isEmpty else { throw ProcessRunnerError.emptyCommand }
        if let producer = command.stdinFrom, producer.first?.isEmpty ?? true { throw ProcessRunnerError.emptyCommand }
        let started = Date()
        let artifact = try command.stdoutFile.map { try ArtifactFile(finalPath: $0, staysPartial: command.stdoutStaysPartial) }
        let stdinDescriptor: FileDescriptor?
        do {
            stdinDescriptor = try command.stdinFile.map { try FileDescriptor.open(FilePath($0), .readOnly, options: [.closeOnExec]) }
        } catch {
            artifact?.discard()
            throw ProcessRunnerError.cannotStart("cannot read stdin file \(command.stdinFile ?? ""): \(error)")
        }
        let artifactPipe: FileDescriptor?
        do {
            artifactPipe = try artifact?.startCopying()
        } catch {
            artifact?.discard()
            try? stdinDescriptor?.close()
            throw error
        }
        let stdout = OutputCapture(keep: .head, limit: captureLimit, onLine: artifact == nil ? onOutput : nil)
        let stderr = OutputCapture(keep: .tail, limit: stderrTailBytes, onLine: onOutput)
        let env = Environment.inherit.updating(Dictionary(uniqueKeysWithValues: environment.map {
            (Environment.Key(rawValue: $0.key)!, Optional($0.value))
        }))
        let groups = GroupList()
        let expired = Flag()

        let spawnAll: @Sendable () async throws -> (TerminationStatus, TerminationStatus?) = {
            // The artifact's pipe stays open here until the children are gone (`endOfOutput`).
            let stdoutTarget: Target = artifactPipe.map { .descriptor($0) } ?? .capture
            guard let producerArgv = command.stdinFrom else {
                let status = try await self.spawn(command.argv, env: env, workingDirectory: command.workingDirectory,
                                                  stdin: stdinDescriptor, stdout: stdoutTarget,
                                                  stdoutCapture: stdout, stderrCapture: stderr, groups: groups)
                return (status, nil)
            }
            let pipe = try Self.makePipe()
            let producerGroup = GroupList()
            return try await withThrowingTaskGroup(of: (Bool, TerminationStatus).self) { group in
                group.addTask {
                    (true, try await self.spawn(producerArgv, env: env, workingDirectory: command.workingDirectory,
                                                stdin: stdinDescriptor, stdout: .descriptor(pipe.write, close: true),
                                                stdoutCapture: stdout, stderrCapture: stderr, groups: groups,
                                                alsoIn: producerGroup))
                }
                group.addTask {
                    (false, try await self.spawn(command.argv, env: env, workingDirectory: command.workingDirectory,
                                                 stdin: pipe.read, closeStdin: true, stdout: stdoutTarget,
                                                 stdoutCapture: stdout, stderrCapture: stderr, groups: groups))
                }
                var producer: TerminationStatus?
                var consumer: TerminationStatus?
                var nudged = false
                do {
                    while let (isProducer, status) = try await group.next() {
                        if isProducer { producer = status } else { consumer = status }
                        if !isProducer, producer == nil, !nudged {
                            nudged = true
                            // The reader is gone: a producer blocked reading its own input (a
                            // FIFO) would never write again to learn it, so it gets the SIGPIPE
                            // a write would have brought, after a moment to finish on its own.
                            group.addTask {
                                try? await Task.sleep(nanoseconds: 1_000_000_000)
                                for pgid in producerGroup.all { ProcessGroup.signal(pgid, SIGPIPE) }
                                return (false, status)
                            }
                        }
                    }
                } catch {
                    group.cancelAll()
                    throw error
                }
                return (consumer ?? .signaled(SIGKILL), producer)
            }
        }

        var outcome: Result<(TerminationStatus, TerminationStatus?), Error>
        do {
            outcome = .success(try await Deadline.run(timeout, onExpiry: { expired.set() }, spawnAll))
        } catch {
            outcome = .failure(error)
        }
        try? stdinDescriptor?.close()
        // Whatever the leader left running after a timeout or an interruption goes too.
        let tornDown = expired.isSet || Task.isCancelled
        for pgid in groups.all {
            if tornDown { await ProcessGroup.terminate(pgid, grace: gracePeriod) } else { ProcessGroup.reap(pgid) }
            tracker?.finished(processGroup: pgid)
        }
        if tornDown, let teardown = command.teardown { await runTeardown(teardown) }
        await artifact?.endOfOutput()
        stdout.finish()
        stderr.finish()

        let status: TerminationStatus
        let producerStatus: TerminationStatus?
        switch outcome {
        case .success(let (s, p)):
            status = s
            producerStatus = p
        case .failure(let error):
            artifact?.discard()
            if tornDown, error is CancellationError {
                status = .signaled(SIGKILL)
                producerStatus = nil
            } else if let e = error as? ProcessRunnerError {
                throw e
            } else {
                throw ProcessRunnerError.cannotStart("cannot run \(program): \(Self.describe(error))")
            }
        }
        var result = ProcessResult(status: status, stdout: stdout.data, stderrTail: stderr.text,
                                   outputBytes: artifact?.size ?? stdout.totalBytes,
                                   duration: Date().timeIntervalSince(started), timedOut: expired.isSet,
                                   producerStatus: producerStatus)
        result.stdoutSHA256 = artifact?.copied.flatMap { $0.failure == nil ? $0.sha256 : nil }
        if let artifact {
            if result.succeeded && !Task.isCancelled {
                try artifact.commit()
            } else {
                artifact.discard()
            }
        }
        if !result.succeeded { result.stdout = stdout.data }
        return result
    }

    /// Stops what a torn-down command started on another machine. Detached: the step's own
    /// task may be cancelled, and this must run all the same.
    private func runTeardown(_ argv: [String]) async {
        let runner = ProcessRunner(captureLimit: captureLimit, stderrTailBytes: stderrTailBytes, gracePeriod: gracePeriod, tracker: tracker)
        await Task.detached {
            _ = try? await runner.run(CommandLine(argv: argv), environment: [:], timeout: 15 + 2 * runner.gracePeriod, onOutput: nil)
        }.value
    }

    // MARK: - One process

    enum Target {
        case capture
        case descriptor(FileDescriptor, close: Bool = false)
    }

    private func platformOptions() -> PlatformOptions {
        var options = PlatformOptions()
        options.processGroupID = 0
        let grace = Swift.Duration.milliseconds(Int(gracePeriod * 1000))
        options.teardownSequence = [
            .send(signal: .interrupt, toProcessGroup: true, allowedDurationToNextStep: grace),
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: grace),
        ]
        return options
    }

    private func spawn(_ argv: [String], env: Environment, workingDirectory: String?,
                       stdin: FileDescriptor?, closeStdin: Bool = false, stdout: Target,
                       stdoutCapture: OutputCapture, stderrCapture: OutputCapture,
                       groups: GroupList, alsoIn extra: GroupList? = nil) async throws -> TerminationStatus {
        let executable: Executable = argv[0].contains("/") ? .path(FilePath(argv[0])) : .name(argv[0])
        let arguments = Arguments(Array(argv.dropFirst()))
        let cwd = workingDirectory.map { FilePath($0) }
        let options = platformOptions()
        let tracker = self.tracker
        let started: @Sendable (pid_t) -> Void = { pid in
            groups.add(pid)
            extra?.add(pid)
            tracker?.started(processGroup: pid)
        }
        switch (stdin, stdout) {
        case (nil, .capture):
            return try await Self.runCapturing(executable, arguments, env, cwd, options, input: .none,
                                               stdoutCapture, stderrCapture, started)
        case (let fd?, .capture):
            return try await Self.runCapturing(executable, arguments, env, cwd, options,
                                               input: .fileDescriptor(fd, closeAfterSpawningProcess: closeStdin),
                                               stdoutCapture, stderrCapture, started)
        case (nil, .descriptor(let out, let close)):
            return try await Self.runToDescriptor(executable, arguments, env, cwd, options, input: .none,
                                                  output: .fileDescriptor(out, closeAfterSpawningProcess: close),
                                                  stderrCapture, started)
        case (let fd?, .descriptor(let out, let close)):
            return try await Self.runToDescriptor(executable, arguments, env, cwd, options,
                                                  input: .fileDescriptor(fd, closeAfterSpawningProcess: closeStdin),
                                                  output: .fileDescriptor(out, closeAfterSpawningProcess: close),
                                                  stderrCapture, started)
        }
    }

    private static func runCapturing<I: InputProtocol>(
        _ executable: Executable, _ arguments: Arguments, _ env: Environment, _ cwd: FilePath?,
        _ options: PlatformOptions, input: I, _ out: OutputCapture, _ err: OutputCapture,
        _ started: @escaping @Sendable (pid_t) -> Void
    ) async throws -> TerminationStatus {
        let result = try await Subprocess.run(executable, arguments: arguments, environment: env, workingDirectory: cwd,
                                              platformOptions: options, input: input, output: .sequence, error: .sequence) { execution in
            started(execution.processIdentifier.value)
            let stdout = execution.standardOutput, stderr = execution.standardError
            // Unstructured tasks: a cancelled step still reads what its processes print while
            // they are torn down (a trap's last words are the best diagnostic there is).
            let stdoutDone = Task { await drain(stdout, into: out) }
            let stderrDone = Task { await drain(stderr, into: err) }
            _ = await (stdoutDone.value, stderrDone.value)
        }
        return convert(result.terminationStatus)
    }

    private static func runToDescriptor<I: InputProtocol>(
        _ executable: Executable, _ arguments: Arguments, _ env: Environment, _ cwd: FilePath?,
        _ options: PlatformOptions, input: I, output: FileDescriptorOutput, _ err: OutputCapture,
        _ started: @escaping @Sendable (pid_t) -> Void
    ) async throws -> TerminationStatus {
        let result = try await Subprocess.run(executable, arguments: arguments, environment: env, workingDirectory: cwd,
                                              platformOptions: options, input: input, output: output, error: .sequence) { execution in
            started(execution.processIdentifier.value)
            let stderr = execution.standardError
            await Task { await drain(stderr, into: err) }.value
        }
        return convert(result.terminationStatus)
    }

    /// Reads a stream to its end. A read error ends the stream: the exit status, not
    /// the pipe, decides success.
    private static func drain(_ sequence: SubprocessOutputSequence, into capture: OutputCapture) async {
        do {
            for try await buffer in sequence {
                buffer.withUnsafeBytes { capture.append($0) }
            }
        } catch {}
    }

    private static func convert(_ status: Subprocess.TerminationStatus) -> TerminationStatus {
        switch status {
        case .exited(let code): return .exited(code)
        case .signaled(let sig): return .signaled(sig)
        }
    }

    // MARK: - Helpers

    private static func makePipe() throws -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw ProcessRunnerError.cannotStart("pipe: \(String(cString: strerror(errno)))")
        }
        // swift-subprocess closes stray descriptors in its children; this covers anything else we spawn.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? SubprocessError {
            let text = "\(e)"
            if text.contains("executableNotFound") || text.contains("not found") { return "executable not found" }
            return text
        }
        return "\(error)"
    }
}

/// Process groups started for one command (the command, and its producer).
final class GroupList: @unchecked Sendable {
    private let lock = NSLock()
    private var groups: [pid_t] = []
    func add(_ pgid: pid_t) { lock.lock(); groups.append(pgid); lock.unlock() }
    var all: [pid_t] { lock.lock(); defer { lock.unlock() }; return groups }
}

/// A one-way boolean shared between tasks.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
