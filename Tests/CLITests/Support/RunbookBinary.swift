import Foundation
import XCTest

/// Runs the built `runbook` executable as a user would, capturing its output.
enum RunbookBinary {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `$RUNBOOK_BIN`, else `runbook` next to the test bundle in the build directory.
    static var path: String {
        if let p = ProcessInfo.processInfo.environment["RUNBOOK_BIN"], !p.isEmpty { return p }
        // On Linux the test bundle is an executable in the build directory, beside `runbook`.
        let testExecutable = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        return testExecutable.deletingLastPathComponent().appendingPathComponent("runbook").path
    }

    /// The repository root (where Package.swift is), from this source file's location.
    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    @discardableResult
    static func run(_ arguments: [String], cwd: String? = nil, environment: [String: String] = [:],
                    stdin: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: cwd ?? repoRoot)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
