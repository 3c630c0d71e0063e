import Foundation
import XCTest

/// Drives the built `runbook` binary for the run/resume/audit/history/show tests,
/// with the fixture runbooks, a throwaway state directory and a work directory
/// the fixture steps write their marks into.
final class RunHarness {
    static let packageRoot = RunbookProcess.packageRoot.path
    static let runbooksDir = packageRoot + "/Tests/CLITests/Fixtures/runbooks"

    static var binary: String { RunbookProcess.binary }

    let state: String
    let work: String

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    init() {
        let base = NSTemporaryDirectory() + "rb-cli-\(UUID().uuidString.prefix(8))"
        state = base + "/state"
        work = base + "/work"
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: (state as NSString).deletingLastPathComponent)
    }

    /// `runbook <args> --state-dir S` (and `--runbooks-dir`, the fixtures unless `runbooksDir`, for run
    /// and resume), environment inherited plus `env`.
    func process(_ args: [String], env: [String: String] = [:], stdin: FileHandle? = nil,
                 runbooksDir: String = RunHarness.runbooksDir) -> (Process, Pipe, Pipe) {
        let p = RunbookProcess.process(arguments(args, runbooksDir: runbooksDir), environment: env)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin ?? FileHandle.nullDevice
        return (p, out, err)
    }

    /// `args` plus this harness's state directory, fixtures and work directory where the command takes them.
    func arguments(_ args: [String], runbooksDir: String) -> [String] {
        var full = args
        if ["run", "resume", "history", "show"].contains(args.first ?? "") { full += ["--state-dir", state] }
        if ["run", "resume"].contains(args.first ?? "") { full += ["--runbooks-dir", runbooksDir, "--kill-grace", "0.5"] }
        if args.first == "run" { full += ["--param", "dir=\(work)"] }
        return full
    }

    @discardableResult
    func run(_ args: [String], env: [String: String] = [:], timeout: Double = 60, runbooksDir: String = RunHarness.runbooksDir,
             file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let r = try RunbookProcess.run(arguments(args, runbooksDir: runbooksDir), environment: env, timeout: timeout, file: file, line: line)
        if !r.finished { XCTFail("runbook did not finish within \(timeout)s", file: file, line: line) }
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    func finish(_ p: Process, _ out: Pipe, _ err: Pipe, timeout: Double = 60,
                file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        // Read both pipes while waiting, so a chatty child cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let stdout = Box(), stderr = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { stdout.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { stderr.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            XCTFail("runbook did not finish within \(timeout)s", file: file, line: line)
        }
        p.waitUntilExit()
        _ = group.wait(timeout: .now() + 5)
        return Result(status: p.terminationStatus, stdout: String(decoding: stdout.data, as: UTF8.self),
                      stderr: String(decoding: stderr.data, as: UTF8.self))
    }

    var log: [String] {
        ((try? String(contentsOfFile: work + "/log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func file(_ name: String) -> String { (try? String(contentsOfFile: work + "/" + name, encoding: .utf8)) ?? "" }

    var auditPath: String { state + "/audit.jsonl" }

    var auditText: String { (try? String(contentsOfFile: auditPath, encoding: .utf8)) ?? "" }

    var runIDs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: state + "/runs")) ?? []).sorted()
    }

    func journalText(_ runID: String) -> String {
        (try? String(contentsOfFile: state + "/runs/\(runID)/journal.json", encoding: .utf8)) ?? ""
    }

    func journal(_ runID: String) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: state + "/runs/\(runID)/journal.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func stepStates(_ runID: String) throws -> [String: String] {
        let steps = try XCTUnwrap(try journal(runID)["steps"] as? [[String: Any]])
        var out: [String: String] = [:]
        for s in steps { out[s["path"] as? String ?? ""] = s["state"] as? String }
        return out
    }

    /// Waits until `condition` holds (polling), failing the test after `timeout`.
    func waitFor(_ what: String, timeout: Double = 20, file: StaticString = #filePath, line: UInt = #line,
                 _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline { return XCTFail("timed out waiting for \(what)", file: file, line: line) }
            usleep(20_000)
        }
    }
}

/// Looks at every process on the machine through /proc.
enum ProcessTable {
    struct Entry {
        var pid: pid_t
        var state: Character
        var processGroup: pid_t
        var cmdline: String
    }

    static func all() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name in
            guard let pid = pid_t(name),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, let st = fields[0].first, let pgrp = pid_t(fields[2]) else { return nil }
            let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map {
                String(decoding: $0.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            } ?? ""
            return Entry(pid: pid, state: st, processGroup: pgrp, cmdline: cmd)
        }
    }

    /// Live (not zombie) processes in process group `pgid`.
    static func liveMembers(ofGroup pgid: pid_t) -> [Entry] {
        all().filter { $0.processGroup == pgid && $0.state != "Z" && $0.state != "X" }
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        all().contains { $0.pid == pid && $0.state != "Z" && $0.state != "X" }
    }
}
