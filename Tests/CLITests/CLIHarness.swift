import Foundation
import XCTest

/// Runs the built `runbook` binary, as users do, with output captured in files
/// (pipes could fill up and deadlock on large outputs).
struct CLIResult {
    var status: Int32
    /// True when the process ended by a signal (a crash), not by exit.
    var crashed: Bool
    var stdout: String
    var stderr: String
}

enum CLI {
    /// The package root, from this file's path (Tests/CLITests/CLIHarness.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary built next to the test bundle (.build/<config>/runbook). On Linux the
    /// bundle URL is the build directory itself; elsewhere it is the .xctest inside it.
    static var binary: URL {
        final class Marker {}
        let bundle = Bundle(for: Marker.self).bundleURL
        let candidates = [bundle.appendingPathComponent("runbook"), bundle.deletingLastPathComponent().appendingPathComponent("runbook")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
    }

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("runbook binary not found at \(binary.path); build it with `swift build`", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? packageRoot
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RUNBOOK_DIR")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("runbook-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let out = tmp.appendingPathComponent("out"), err = tmp.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
                         stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "<not UTF-8>",
                         stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "<not UTF-8>")
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
