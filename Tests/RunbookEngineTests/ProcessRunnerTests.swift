import Foundation
import RunbookCore
@testable import RunbookEngine
import XCTest

/// The process runner against real processes: capture, artifacts through
/// `.partial`, both statuses of a pipe, and group teardown on timeout and cancellation.
final class ProcessRunnerTests: XCTestCase {
    var dir: String!
    let runner = ProcessRunner(captureLimit: 1 << 16, stderrTailBytes: 256, gracePeriod: 0.3)

    override func setUp() { dir = makeTemporaryDirectory("proc") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func sh(_ script: String, stdoutFile: String? = nil, stdinFrom: [String]? = nil, stdinFile: String? = nil) -> CommandLine {
        CommandLine(argv: ["/bin/sh", "-c", script], stdinFile: stdinFile, stdinFrom: stdinFrom, stdoutFile: stdoutFile)
    }

    /// The process group the script wrote to `pgid` (its shell's pid), once it exists.
    func groupOfScript() async throws -> pid_t {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: dir + "/pgid", encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return pid }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        XCTFail("the script never wrote its pid")
        return -1
    }

    func testCapturesStdoutExitStatusAndStderrTail() async throws {
        let r = try await runner.run(sh("echo out; echo err >&2; exit 7"), environment: [:], timeout: nil, onOutput: nil)
        XCTAssertEqual(r.status, .exited(7))
        XCTAssertEqual(r.stdoutString, "out\n")
        XCTAssertEqual(r.stderrTail, "err\n")
        XCTAssertFalse(r.succeeded)
    }

    func testEnvironmentIsInheritedPlusExtra() async throws {
        setenv("RB_INHERITED", "yes", 1)
        let r = try await runner.run(sh("echo $RB_INHERITED-$RB_EXTRA"), environment: ["RB_EXTRA": "x"], timeout: nil, onOutput: nil)
        XCTAssertEqual(r.stdoutString, "yes-x\n")
    }

    func testCaptureIsBoundedButCounted() async throws {
        let r = try await runner.run(sh("head -c 200000 /dev/zero"), environment: [:], timeout: nil, onOutput: nil)
        XCTAssertEqual(r.stdout.count, 1 << 16)
        XCTAssertEqual(r.outputBytes, 200_000)
    }

    func testLiveLinesReachTheCallback() async throws {
        let lines = Trace()
        _ = try await runner.run(sh("echo one; echo two >&2; printf three"), environment: [:], timeout: nil, onOutput: { lines.add($0) })
        XCTAssertEqual(Set(lines.all), ["one", "two", "three"])
    }

    func testArtifactAppearsOnlyAfterSuccess() async throws {
        let target = dir + "/dump.out"
        let ok = try await runner.run(sh("echo data", stdoutFile: target), environment: [:], timeout: nil, onOutput: nil)
        XCTAssertTrue(ok.succeeded)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "data\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + ".partial"))
        XCTAssertEqual(ok.outputBytes, 5)

        let failedTarget = dir + "/failed.out"
        let bad = try await runner.run(sh("echo partial data; exit 1", stdoutFile: failedTarget), environment: [:], timeout: nil, onOutput: nil)
        XCTAssertFalse(bad.succeeded)
        XCTAssertFalse(FileManager.default.fileExists(atPath: failedTarget))
        XCTAssertFalse(FileManager.default.fileExists(atPath: failedTarget + ".partial"))
    }

    func testFailedProducerFailsThePipeEvenWhenTheConsumerSucceeds() async throws {
        // The seed's `pg_dump | gzip > f` without pipefail: gzip exits 0 on a failed dump.
        let target = dir + "/dump.gz"
        let r = try await runner.run(CommandLine(argv: ["gzip", "-c"], stdinFrom: ["/bin/sh", "-c", "echo half; exit 3"], stdoutFile: target),
                                     environment: [:], timeout: nil, onOutput: nil)
        XCTAssertEqual(r.status, .exited(0))
        XCTAssertEqual(r.producerStatus, .exited(3))
        XCTAssertFalse(r.succeeded)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + ".partial"))
    }

    func testPipeOfTwoSucceedingStagesWritesTheArtifact() async throws {
        let target = dir + "/data.gz"
        let r = try await runner.run(CommandLine(argv: ["gzip", "-c"], stdinFrom: ["/bin/sh", "-c", "seq 1 1000"], stdoutFile: target),
                                     environment: [:], timeout: nil, onOutput: nil)
        XCTAssertTrue(r.succeeded)
        let back = try await runner.run(CommandLine(argv: ["gzip", "-dc"], stdinFile: target), environment: [:], timeout: nil, onOutput: nil)
        XCTAssertEqual(back.stdoutString.split(separator: "\n").count, 1000)
    }

    func testTimeoutTearsDownTheWholeGroupIncludingChildrenIgnoringSignals() async throws {
        let script = "echo $$ > \(dir!)/pgid; trap '' INT TERM; sh -c 'trap \"\" INT TERM; sleep 60' & sleep 60 & wait"
        let started = Date()
        let r = try await runner.run(sh(script), environment: [:], timeout: 0.5, onOutput: nil)
        XCTAssertTrue(r.timedOut)
        XCTAssertFalse(r.succeeded)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        let group = try await groupOfScript()
        XCTAssertEqual(ProcessGroup.liveMembers(group), [], "a process of the timed-out group is still alive")
        XCTAssertEqual(kill(-group, 0), -1, "not even a zombie is left in the group")
    }

    func testCancellationTearsDownTheGroup() async throws {
        let task = Task { try await runner.run(sh("echo $$ > \(dir!)/pgid; sleep 60 & sleep 60"), environment: [:], timeout: nil, onOutput: nil) }
        let group = try await groupOfScript()
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertEqual(ProcessGroup.liveMembers(group).count, 3, "the shell and two sleeps")
        task.cancel()
        let r = try await task.value
        XCTAssertFalse(r.succeeded)
        XCTAssertEqual(ProcessGroup.liveMembers(group), [])
    }

    func testChildRunsInItsOwnProcessGroup() async throws {
        let r = try await runner.run(sh("cut -d' ' -f5 /proc/$$/stat"), environment: [:], timeout: nil, onOutput: nil)
        let childGroup = pid_t(r.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertNotNil(childGroup)
        XCTAssertNotEqual(childGroup, getpgrp())
    }

    func testMissingExecutableIsAnErrorNotAResult() async {
        do {
            _ = try await runner.run(CommandLine(argv: ["/nonexistent/tool"]), environment: [:], timeout: nil, onOutput: nil)
            XCTFail("ran a missing executable")
        } catch {
            XCTAssertTrue("\(error)".contains("/nonexistent/tool"), "\(error)")
        }
    }
}

extension ProcessRunnerTests {
    func testOutputToAFileDoesNotGoThroughMemory() async throws {
        // 512 MiB through the runner: if it were buffered, the test process's peak RSS would grow by
        // about that much. The peak is reset first (writing 5 to clear_refs resets VmHWM): in a whole
        // suite run, earlier tests in this process have already set a higher lifetime peak.
        let target = dir + "/big.out"
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = try Self.statusKiB("VmRSS")
        let r = try await runner.run(CommandLine(argv: ["head", "-c", "536870912", "/dev/zero"], stdoutFile: target),
                                     environment: [:], timeout: nil, onOutput: nil)
        XCTAssertTrue(r.succeeded)
        XCTAssertEqual(r.outputBytes, 536_870_912)
        let peak = try Self.statusKiB("VmHWM")
        XCTAssertLessThan(peak - before, 64 * 1024, "peak RSS grew from \(before) KiB to \(peak) KiB")
        try FileManager.default.removeItem(atPath: target)
    }

    /// A `kB` field of /proc/self/status.
    static func statusKiB(_ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let value = Int(line.split(separator: " ").dropFirst().first ?? "") else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: "/proc/self/status: no \(field)"])
        }
        return value
    }
}
