import Foundation
import XCTest

final class RunTimeoutTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    func testExpiredTimeoutLeavesNoProcessOfTheStepAlive() throws {
        let started = Date()
        let r = try h.run(["run", "timeout"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("timed out after 1s"), r.stdout)
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)

        let pids = h.file("pids").split(separator: "\n").compactMap { pid_t($0) }
        XCTAssertEqual(pids.count, 3, "the step recorded its shell and two children")
        let group = try XCTUnwrap(pids.last, "the step's shell leads its own process group")
        for pid in pids {
            XCTAssertFalse(ProcessTable.isAlive(pid), "pid \(pid) survived the timeout")
        }
        XCTAssertEqual(ProcessTable.liveMembers(ofGroup: group).map(\.pid), [])
        errno = 0
        let leftovers = ProcessTable.all().filter { $0.processGroup == group }.map { "\($0.pid) \($0.state) \($0.cmdline)" }
        XCTAssertEqual(kill(-group, 0), -1, "\(leftovers) " + "kill(-pgid, 0): the group is gone (no member, not even a zombie)")
        XCTAssertEqual(errno, ESRCH)
    }
}
