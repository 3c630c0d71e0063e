import XCTest
@testable import RunbookActions

final class WALRetentionTests: XCTestCase {
    let archive = [
        "000000010000000000000001",
        "000000010000000000000002",
        "000000010000000000000002.00000028.backup",
        "000000010000000000000003",
        "000000010000000000000004",
        "000000010000000000000004.00000060.backup",
        "000000010000000000000005",
        "000000010000000000000006.partial",
        "00000002.history",
        "000000020000000000000003",
        "000000020000000000000006",
        "000000010000000000000007.tmp",
    ]

    func testPrunesExactlyWhatPrecedesTheOldestRetainedBackupStart() {
        let start = WALSegment(timeline: 1, number: 4)
        let d = WALRetention.decide(names: archive, oldestStart: start, backupID: "base-b")
        XCTAssertEqual(d.prune.map(\.name), [
            "000000010000000000000001",
            "000000010000000000000002",
            "000000010000000000000002.00000028.backup",
            "000000010000000000000003",
            "000000020000000000000003",
        ])
        XCTAssertEqual(d.keep, [
            "000000010000000000000004",
            "000000010000000000000004.00000060.backup",
            "000000010000000000000005",
            "000000010000000000000006.partial",
            "000000010000000000000007.tmp",
            "00000002.history",
            "000000020000000000000006",
        ])
        XCTAssertEqual(d.prune.first?.reason,
                       "segment 000000010000000000000001 precedes 000000010000000000000004, where the oldest retained base backup (base-b) starts")
    }

    func testTheStartSegmentItselfIsNeverPruned() {
        let d = WALRetention.decide(names: archive, oldestStart: WALSegment(timeline: 1, number: 1), backupID: "base-a")
        XCTAssertTrue(d.prune.isEmpty)
        XCTAssertEqual(d.keep.count, archive.count)
    }

    func testSegmentArithmeticCrossesLogIDBoundaries() {
        let names = ["0000000100000000000000FE", "0000000100000000000000FF", "000000010000000100000000", "000000010000000100000001"]
        let d = WALRetention.decide(names: names, oldestStart: WALSegment(timeline: 1, number: 256), backupID: "x")
        XCTAssertEqual(d.prune.map(\.name), ["0000000100000000000000FE", "0000000100000000000000FF"])
        XCTAssertEqual(d.keep, ["000000010000000100000000", "000000010000000100000001"])
    }
}
