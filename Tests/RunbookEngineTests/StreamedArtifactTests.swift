import Foundation
import RunbookCore
@testable import RunbookEngine
import XCTest

/// The runner hashes an artifact while it streams to disk, and with `stdoutStaysPartial` leaves
/// it as `NAME.partial` for the caller to check and rename: a dump's sha256 costs no second read.
extension ProcessRunnerTests {
    func testTheSha256OfWhatStreamedToDiskMatchesTheFileAndItStaysPartial() async throws {
        let target = dir + "/dump.out"
        // About 21 MB of varied bytes: many pipe reads, and a hash that catches any lost or reordered chunk.
        var command = CommandLine(argv: ["/bin/sh", "-c", "seq 1 3000000"], stdoutFile: target)
        command.stdoutStaysPartial = true
        let r = try await runner.run(command, environment: [:], timeout: nil, onOutput: nil)
        XCTAssertTrue(r.succeeded)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target), "the caller renames it")
        XCTAssertEqual(r.outputBytes, try FileManager.default.attributesOfItem(atPath: target + ".partial")[.size] as? Int)
        let expected = try await sha256sum(target + ".partial")
        XCTAssertEqual(r.stdoutSHA256, expected)
    }

    func testAFailedCommandLeavesNoPartialAndNoDigest() async throws {
        let target = dir + "/failed.out"
        var command = CommandLine(argv: ["/bin/sh", "-c", "seq 1 1000; exit 1"], stdoutFile: target)
        command.stdoutStaysPartial = true
        let r = try await runner.run(command, environment: [:], timeout: nil, onOutput: nil)
        XCTAssertFalse(r.succeeded)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + ".partial"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
    }

    func testTheDigestOfAPipeOfTwoStagesIsTheConsumersOutput() async throws {
        let target = dir + "/data.gz"
        let r = try await runner.run(CommandLine(argv: ["gzip", "-c"], stdinFrom: ["/bin/sh", "-c", "seq 1 100000"], stdoutFile: target),
                                     environment: [:], timeout: nil, onOutput: nil)
        XCTAssertTrue(r.succeeded)
        let expected = try await sha256sum(target)
        XCTAssertEqual(r.stdoutSHA256, expected)
    }

    /// coreutils' sha256sum: an implementation independent of the one under test.
    func sha256sum(_ path: String) async throws -> String {
        let r = try await runner.run(CommandLine(argv: ["sha256sum", path]), environment: [:], timeout: nil, onOutput: nil)
        return String(r.stdoutString.prefix(64))
    }
}
