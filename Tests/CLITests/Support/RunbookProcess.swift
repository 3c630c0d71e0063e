import Foundation
import XCTest

/// The one way CLI tests start the built `runbook` binary: where it is, where the package
/// is, the environment it gets, and its output captured through files (a pipe could fill
/// up and block a chatty child). `CLI`, `RunbookBinary` and `RunHarness` are thin entry
/// points over it, kept so existing tests read as before.
enum RunbookProcess {
    struct Output {
        var status: Int32
        /// True when the process ended by a signal (a crash or a kill), not by exit.
        var crashed: Bool
        var stdout: String
        var stderr: String
        /// False when the process was still running at the deadline and was terminated.
        var finished: Bool
    }

    /// The repository root (where Package.swift is), from this file's path
    /// (Tests/CLITests/Support/RunbookProcess.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `$RUNBOOK_BIN`, else `runbook` beside the test bundle (`swift build --build-tests`
    /// builds both into one directory), else `.build/debug/runbook`.
    static var binary: String {
        if let p = ProcessInfo.processInfo.environment["RUNBOOK_BIN"], !p.isEmpty { return p }
        let testExecutable = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        let beside = testExecutable.deletingLastPathComponent().appendingPathComponent("runbook").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/runbook").path
    }

    /// This process's environment without `RUNBOOK_DIR` (tests name their directories), with
    /// `NO_COLOR` when asked, then `overrides`.
    static func environment(_ overrides: [String: String], noColor: Bool) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RUNBOOK_DIR")
        if noColor { env["NO_COLOR"] = "1" }
        for (k, v) in overrides { env[k] = v }
        return env
    }

    /// A configured, not yet started process for `runbook ARGUMENTS`.
    static func process(_ arguments: [String], cwd: String? = nil, environment overrides: [String: String] = [:],
                        noColor: Bool = true) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: cwd ?? packageRoot.path)
        p.environment = environment(overrides, noColor: noColor)
        p.standardInput = FileHandle.nullDevice
        return p
    }

    /// Runs `runbook ARGUMENTS` to the end (or `timeout` seconds, then SIGTERM), with `stdin`
    /// written to its standard input when given.
    static func run(_ arguments: [String], cwd: String? = nil, environment: [String: String] = [:], noColor: Bool = true,
                    stdin: String? = nil, timeout: Double? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Output {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail("runbook binary not found at \(binary); build it with `swift build --build-tests`", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        let p = process(arguments, cwd: cwd, environment: environment, noColor: noColor)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("runbook-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let out = tmp.appendingPathComponent("out"), err = tmp.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        var input: Pipe?
        if stdin != nil {
            input = Pipe()
            p.standardInput = input
        }
        try p.run()
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        var finished = true
        if let timeout {
            let deadline = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning {
                finished = false
                p.terminate()
            }
        }
        p.waitUntilExit()
        return Output(status: p.terminationStatus, crashed: p.terminationReason == .uncaughtSignal,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "<not UTF-8>",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "<not UTF-8>", finished: finished)
    }
}
