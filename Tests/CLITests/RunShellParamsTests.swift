import Foundation
import XCTest

/// `runbook run` with hostile `--param` values for a `shell.run` command that pastes the
/// param unquoted: the real binary, the real /bin/sh. No value runs a second command,
/// and each arrives byte for byte.
final class RunShellParamsTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    func testParamsNeverRunASecondCommand() throws {
        let marker = h.work + "/pwned"
        let values = ["a; touch \(marker)", "$(touch \(marker))", "`touch \(marker)`", "a\ntouch \(marker)",
                      "'; touch \(marker); '", "\"; touch \(marker); \""]
        for value in values {
            let r = try h.run(["run", "shell-params", "--param", "value=\(value)"])
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            XCTAssertEqual(h.file("out"), value, "the value must arrive intact")
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "\(value.debugDescription) ran a second command")
        }
    }

    func testPlanShowsTheTextThatRunsAndTheValuesBesideIt() throws {
        let r = try h.run(["plan", "shell-params", "--param", "dir=/srv/backups", "--param", "value=a; rm -rf ~",
                           "--runbooks-dir", RunHarness.runbooksDir])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains(#"""
            1. write  [shell.run]
               $ /bin/sh -c 'printf '\''%s'\'' "$RB_PARAM_VALUE" > "$RB_PARAM_DIR"/out'
                   env RB_PARAM_DIR = /srv/backups
                   env RB_PARAM_VALUE = 'a; rm -rf ~'

            """#), r.stdout)
    }
}
