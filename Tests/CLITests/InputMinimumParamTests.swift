import Foundation
import XCTest

/// A `--param` that puts an input below its action's minimum (`base-backup`'s `keep_offsite`,
/// the floor of `pitr.repository-retention`) is refused by `plan` and `run` before anything
/// happens, at the input in the shipped runbook; before, the run took and pushed the base
/// backup and failed only at the retention step.
final class InputMinimumParamTests: XCTestCase {
    func testPlanRefusesKeepOffsiteBelowTheFloorAtTheInputInTheRunbook() throws {
        for value in ["0", "-1"] {
            let out = try RunbookBinary.run(["plan", "base-backup", "--profile", "production", "--param", "offsite=true", "--param", "keep_offsite=\(value)"])
            XCTAssertEqual(out.status, 1, out.stderr)
            XCTAssertEqual(out.stdout, "")
            XCTAssertEqual(out.stderr, "runbooks/base-backup.yaml:106:13: error: input \"keep\" of pitr.repository-retention (step \"offsite-retention\") must be at least 1, got \(value) from param \"keep_offsite\" [input-minimum]\n")
        }
    }

    func testPlanAcceptsTheFloorItself() throws {
        let out = try RunbookBinary.run(["plan", "base-backup", "--profile", "production", "--param", "offsite=true", "--param", "keep_offsite=1"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("keep the 1 newest complete base backups"), out.stdout)
    }

    func testPlanRefusesKeepOffsiteThatIsNotAnInteger() throws {
        let out = try RunbookBinary.run(["plan", "base-backup", "--profile", "production", "--param", "offsite=true", "--param", "keep_offsite=two"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("error: --param keep_offsite: \"two\" is not an integer [param-value]"), out.stderr)
    }

    /// The run stops before its state directory is even created: no journal, no audit line, no step.
    func testRunRefusesBeforeTheFirstStep() throws {
        let state = NSTemporaryDirectory() + "input-minimum-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let out = try RunbookBinary.run(["run", "base-backup", "--profile", "production", "--param", "offsite=true", "--param", "keep_offsite=0",
                                         "--yes", "--state-dir", state])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("runbooks/base-backup.yaml:106:13: error: input \"keep\" of pitr.repository-retention (step \"offsite-retention\") must be at least 1, got 0 from param \"keep_offsite\" [input-minimum]"), out.stderr)
        XCTAssertFalse(out.stdout.contains("archiving-works"), out.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: state), "the run created its state directory")
    }
}
