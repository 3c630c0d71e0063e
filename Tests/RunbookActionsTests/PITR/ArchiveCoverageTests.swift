import XCTest
@testable import RunbookActions

final class ArchiveCoverageTests: XCTestCase {
    func names(_ numbers: [UInt64], timeline: UInt32 = 1) -> [String] {
        numbers.map { WALSegment(timeline: timeline, number: $0).fileName }
    }
    let start = WALSegment(timeline: 1, number: 2)
    let stop = LSN(0x300_0100)  // inside segment 3

    func testContiguousArchiveReachesConsistencyAndListsNewestFirst() {
        let c = ArchiveCoverage(names: names([1, 2, 3, 4, 5]) + ["00000002.history"], start: start, stopLSN: stop)
        XCTAssertNil(c.problem)
        XCTAssertTrue(c.reachesConsistency)
        XCTAssertEqual(c.lastContiguous?.fileName, "000000010000000000000005")
        XCTAssertEqual(c.endLSN?.description, "0/6000000")
        XCTAssertEqual(c.newestFirst.map(\.number), [5, 4, 3])
    }

    func testMissingStartSegmentIsReported() {
        let c = ArchiveCoverage(names: names([3, 4]), start: start, stopLSN: stop)
        XCTAssertNil(c.lastContiguous)
        XCTAssertEqual(c.problem, "the archive lacks 000000010000000000000002, the first segment the base backup needs (later segments exist)")
    }

    func testHoleBeforeConsistencyIsReported() {
        let c = ArchiveCoverage(names: names([2, 4, 5]), start: WALSegment(timeline: 1, number: 2), stopLSN: LSN(0x400_0010))
        XCTAssertEqual(c.gap?.fileName, "000000010000000000000003")
        XCTAssertEqual(c.problem, "the archive has a hole at 000000010000000000000003: segments 000000010000000000000002..000000010000000000000002 are there, later ones too, but not that one")
    }

    func testHoleAfterConsistencyLimitsTheArchiveEnd() {
        let c = ArchiveCoverage(names: names([2, 3, 4, 6, 7]), start: start, stopLSN: stop)
        XCTAssertNil(c.problem)
        XCTAssertEqual(c.lastContiguous?.number, 4)
        XCTAssertEqual(c.gap?.number, 5)
    }

    func testArchiveEndingBeforeConsistencyIsReported() {
        let c = ArchiveCoverage(names: names([2]), start: start, stopLSN: stop)
        XCTAssertFalse(c.reachesConsistency)
        XCTAssertEqual(c.problem, "the archive ends at 000000010000000000000002, before 000000010000000000000003 where the base backup becomes consistent")
    }

    func testOtherTimelinesAndPartialsDoNotCount() {
        let c = ArchiveCoverage(names: names([2], timeline: 1) + names([3, 4], timeline: 2) + ["000000010000000000000003.partial"],
                                start: start, stopLSN: stop)
        XCTAssertEqual(c.lastContiguous?.number, 2)
        XCTAssertNotNil(c.problem)
    }

    func testStopExactlyOnASegmentBoundaryNeedsOnlyThePreviousSegment() {
        let c = ArchiveCoverage(names: names([2]), start: start, stopLSN: LSN(0x300_0000))
        XCTAssertEqual(c.consistent.number, 2)
        XCTAssertNil(c.problem)
    }
}
