import Foundation
import RunbookCore
import RunbookEngine

/// TEMPORARY: a minimal `ProcessRunning` on Foundation.Process, used only until the engine's
/// real `ProcessRunner` is merged into this branch; then every test switches to that one.
/// It honours the protocol's contract (stdout to `<file>.partial`, renamed on success only;
/// a `stdinFrom` producer whose status is reported) but has no process groups or teardown.
struct InterimProcessRunner: ProcessRunning {
    func run(_ command: CommandLine, environment: [String: String], timeout: Double?,
             onOutput: (@Sendable (String) -> Void)?) async throws -> ProcessResult {
        try await Task.detached { try Self.runBlocking(command, environment) }.value
    }

    static func runBlocking(_ command: CommandLine, _ extra: [String: String]) throws -> ProcessResult {
        let start = Date()
        var env = ProcessInfo.processInfo.environment
        env.merge(extra) { _, new in new }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command.argv
        process.environment = env
        if let wd = command.workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: wd) }

        var producer: Process?
        if let from = command.stdinFrom {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = from
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = FileHandle.nullDevice
            process.standardInput = pipe
            producer = p
        } else if let file = command.stdinFile {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw CocoaError(.fileNoSuchFile) }
            process.standardInput = handle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let partial = command.stdoutFile.map { $0 + ".partial" }
        let outPipe = Pipe()
        if let partial {
            FileManager.default.createFile(atPath: partial, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: partial)
        } else {
            process.standardOutput = outPipe
        }
        let errPipe = Pipe()
        process.standardError = errPipe
        try producer?.run()
        try process.run()
        var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let out = partial == nil ? outPipe.fileHandleForReading.readDataToEndOfFile() : Data()
        group.wait()
        process.waitUntilExit()
        producer?.waitUntilExit()
        let status: TerminationStatus = process.terminationReason == .uncaughtSignal
            ? .signaled(process.terminationStatus) : .exited(process.terminationStatus)
        let producerStatus: TerminationStatus? = producer.map {
            $0.terminationReason == .uncaughtSignal ? .signaled($0.terminationStatus) : .exited($0.terminationStatus)
        }
        var bytes = out.count
        if let partial, let final = command.stdoutFile {
            bytes = Int((try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? NSNumber)??.intValue ?? 0)
            if status.isSuccess && (producerStatus?.isSuccess ?? true) {
                rename(partial, final)
            } else {
                unlink(partial)
            }
        }
        return ProcessResult(status: status, stdout: out, stderrTail: String(decoding: errData.suffix(4096), as: UTF8.self),
                             outputBytes: bytes, duration: Date().timeIntervalSince(start), producerStatus: producerStatus)
    }
}
