@testable import RunbookActions
import XCTest

final class RetentionPolicyTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_750_000_000)
    private func daysAgo(_ d: Double) -> Date { now.addingTimeInterval(-d * 86_400) }

    private func kept(_ decisions: [RetentionPolicy.Decision]) -> [String] { decisions.filter(\.keep).map(\.record.path) }
    private func deleted(_ decisions: [RetentionPolicy.Decision]) -> [String] { decisions.filter { !$0.keep }.map(\.record.path) }

    func testBackupsThatStoppedAYearAgoKeepTheirNewestVerifiedFloor() throws {
        // The seed's `find -mtime +30 -delete` would delete all five.
        let records = (0..<5).map { i in ManifestFixtures.record("s-\(i).dump", database: "shared", finished: daysAgo(365 + Double(i))) }
        let decisions = try RetentionPolicy(keepDays: 30, keepMinimum: 2).decide(records, now: now) { _ in true }
        XCTAssertEqual(kept(decisions), ["s-0.dump", "s-1.dump"])
        XCTAssertEqual(deleted(decisions), ["s-2.dump", "s-3.dump", "s-4.dump"])
        XCTAssertTrue(decisions[2].reason.contains("older than keep_days=30"), decisions[2].reason)
        XCTAssertTrue(decisions[0].reason.contains("newest verified"), decisions[0].reason)
    }

    func testEverythingWithinKeepDaysStaysAndOnlyOlderOnesGo() throws {
        let records = [1.0, 10, 29.9, 30.5, 45].map { d in ManifestFixtures.record("d\(d).dump", database: "u", finished: daysAgo(d)) }
        let decisions = try RetentionPolicy(keepDays: 30, keepMinimum: 1).decide(records, now: now) { _ in true }
        XCTAssertEqual(kept(decisions), ["d1.0.dump", "d10.0.dump", "d29.9.dump"])
        XCTAssertEqual(deleted(decisions), ["d30.5.dump", "d45.0.dump"])
    }

    func testTheFloorCountsOnlyVerifiedBackupsWhoseFilesExist() throws {
        let records = [
            ManifestFixtures.record("newest-unverified.dump", database: "p", finished: daysAgo(100), verified: false),
            ManifestFixtures.record("verified-but-gone.dump", database: "p", finished: daysAgo(101)),
            ManifestFixtures.record("verified-1.dump", database: "p", finished: daysAgo(102)),
            ManifestFixtures.record("verified-2.dump", database: "p", finished: daysAgo(103)),
            ManifestFixtures.record("verified-3.dump", database: "p", finished: daysAgo(104)),
        ]
        let decisions = try RetentionPolicy(keepDays: 7, keepMinimum: 2)
            .decide(records, now: now) { $0.path != "verified-but-gone.dump" }
        // The newest artifact is never deleted; the floor is the two newest verified that exist.
        XCTAssertEqual(kept(decisions), ["newest-unverified.dump", "verified-1.dump", "verified-2.dump"])
        XCTAssertEqual(deleted(decisions), ["verified-but-gone.dump", "verified-3.dump"])
        XCTAssertTrue(decisions[1].reason.contains("already missing"), decisions[1].reason)
    }

    func testDatabasesAndGlobalsHaveSeparateFloors() throws {
        let records = [
            ManifestFixtures.record("a-old.dump", database: "a", finished: daysAgo(60)),
            ManifestFixtures.record("b-old.dump", database: "b", finished: daysAgo(90)),
            ManifestFixtures.record("b-older.dump", database: "b", finished: daysAgo(91)),
            ManifestFixtures.record("g-old.sql", database: "globals", finished: daysAgo(60), kind: .globals),
        ]
        let decisions = try RetentionPolicy(keepDays: 30, keepMinimum: 1).decide(records, now: now) { _ in true }
        XCTAssertEqual(Set(kept(decisions)), ["a-old.dump", "b-old.dump", "g-old.sql"])
        XCTAssertEqual(deleted(decisions), ["b-older.dump"])
    }

    func testAFloorOfZeroIsRefused() {
        XCTAssertThrowsError(try RetentionPolicy(keepDays: 30, keepMinimum: 0)) {
            XCTAssertTrue("\($0)".contains("never deletes the newest good backup"), "\($0)")
        }
    }
}
