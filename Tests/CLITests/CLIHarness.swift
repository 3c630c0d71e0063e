import Foundation
import XCTest

/// What a run of the binary left: exit status, whether it crashed, and its output.
struct CLIResult {
    var status: Int32
    /// True when the process ended by a signal (a crash), not by exit.
    var crashed: Bool
    var stdout: String
    var stderr: String
}

/// Runs the binary through `RunbookProcess` (colour left to the binary, as a user gets it).
enum CLI {
    static let packageRoot = RunbookProcess.packageRoot

    static var binary: URL { URL(fileURLWithPath: RunbookProcess.binary) }

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try RunbookProcess.run(arguments, cwd: directory?.path, environment: environment, noColor: false, file: file, line: line)
        return CLIResult(status: r.status, crashed: r.crashed, stdout: r.stdout, stderr: r.stderr)
    }

    /// A fresh directory, removed by the caller's `defer`.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runbook-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
