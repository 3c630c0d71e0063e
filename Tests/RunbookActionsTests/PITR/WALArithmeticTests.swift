import XCTest
@testable import RunbookActions

final class WALArithmeticTests: XCTestCase {
    func testLSNParsesAndPrintsLikePostgreSQL() throws {
        let lsn = try XCTUnwrap(LSN("16/B374D848"))
        XCTAssertEqual(lsn.value, 0x16_B374_D848)
        XCTAssertEqual(lsn.description, "16/B374D848")
        XCTAssertEqual(LSN("0/2000028")?.value, 0x200_0028)
        XCTAssertNil(LSN("0x16"))
        XCTAssertNil(LSN("1/2/3"))
        XCTAssertNil(LSN("123456789/0"))
        XCTAssertNil(LSN("G/0"))
        XCTAssertLessThan(try XCTUnwrap(LSN("0/FFFFFFFF")), try XCTUnwrap(LSN("1/0")))
    }

    func testSegmentNameOfLSNMatchesPgWalfileName() throws {
        // pg_walfile_name('0/2000028') on timeline 1 = 000000010000000000000002 (16 MB segments).
        XCTAssertEqual(WALSegment(containing: try XCTUnwrap(LSN("0/2000028")), timeline: 1).fileName, "000000010000000000000002")
        // 1/0 is segment 256: the middle field counts 4 GB "log ids".
        XCTAssertEqual(WALSegment(containing: try XCTUnwrap(LSN("1/0")), timeline: 1).fileName, "000000010000000100000000")
        XCTAssertEqual(WALSegment(containing: try XCTUnwrap(LSN("16/B374D848")), timeline: 3).fileName, "0000000300000016000000B3")
        // 64 MB segments: 64 per log id, the last field only goes to 3F.
        let big = 64 << 20
        XCTAssertEqual(WALSegment(containing: try XCTUnwrap(LSN("16/FC000000")), timeline: 1, size: big).fileName, "00000001000000160000003F")
    }

    func testSegmentFileNamesRoundTripAndRejectImpossibleNames() throws {
        let s = try XCTUnwrap(WALSegment(fileName: "0000000200000016000000B3"))
        XCTAssertEqual(s.timeline, 2)
        XCTAssertEqual(s.number, 0x16 * 256 + 0xB3)
        XCTAssertEqual(s.fileName, "0000000200000016000000B3")
        XCTAssertEqual(s.startLSN.description, "16/B3000000")
        XCTAssertEqual(s.endLSN.description, "16/B4000000")
        XCTAssertEqual(s.next().fileName, "0000000200000016000000B4")
        XCTAssertEqual(WALSegment(fileName: "0000000100000000000000FF")?.next().fileName, "000000010000000100000000")
        XCTAssertNil(WALSegment(fileName: "00000001000000000000010"), "23 digits")
        XCTAssertNil(WALSegment(fileName: "00000001000000000000000G"))
        XCTAssertNil(WALSegment(fileName: "000000010000000000000040", size: 64 << 20), "segment 0x40 does not exist with 64 MB segments")
        XCTAssertNil(WALSegment(fileName: "000000010000000000000001", size: 3 << 20), "not a power of two")
    }

    func testArchiveFilesAreClassifiedByName() {
        XCTAssertEqual(ArchiveFile(name: "000000010000000000000003"), .segment(WALSegment(timeline: 1, number: 3)))
        XCTAssertEqual(ArchiveFile(name: "000000010000000000000005.partial"), .partial(WALSegment(timeline: 1, number: 5)))
        XCTAssertEqual(ArchiveFile(name: "000000010000000000000002.00000028.backup"), .backupHistory(WALSegment(timeline: 1, number: 2)))
        XCTAssertEqual(ArchiveFile(name: "00000002.history"), .timelineHistory(2))
        XCTAssertEqual(ArchiveFile(name: "000000010000000000000004.tmp"), .other)
        XCTAssertEqual(ArchiveFile(name: "catalog.json"), .other)
        XCTAssertEqual(ArchiveFile(name: "000000010000000000000002.0000002G.backup"), .other)
    }
}
