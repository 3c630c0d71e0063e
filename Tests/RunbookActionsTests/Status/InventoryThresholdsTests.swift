import Foundation
@testable import RunbookActions
import XCTest

/// Which thresholds `runbook info` reports broken, in words, and the archive's gaps.
final class InventoryThresholdsTests: XCTestCase {
    func testEachThresholdNamesWhatBreaksIt() {
        var inventory = PrometheusTextTests.inventory()
        inventory.databases.append(DatabaseBackups(database: "never_db", newest: nil, kept: 0, lastChecksum: nil, lastRestoreTest: nil))
        let thresholds = InventoryThresholds(maxBackupAge: 1800, maxRestoreTestAge: 86_400, maxWALLag: 300)
        XCTAssertEqual(thresholds.breaches(of: inventory), [
            "app_db: newest backup is 1h old (max-age 30m)",
            "never_db: no verified backup",
            "never_db: never restore-tested",
            "WAL archive: no archived segment in /var/lib/postgresql/wal_archive",
        ])
        XCTAssertEqual(InventoryThresholds(maxBackupAge: 7200).breaches(of: PrometheusTextTests.inventory()), [])
        XCTAssertTrue(InventoryThresholds().breaches(of: inventory).isEmpty)
    }

    func testGapsAreTheMissingSegmentsOfTheNewestTimeline() {
        let names = ["000000010000000000000003", "000000010000000000000004", "000000010000000000000007",
                     "000000020000000000000001"].compactMap { WALSegment(fileName: $0) }
        XCTAssertEqual(InventoryCollector.gaps(names), [])
        let one = names.filter { $0.timeline == 1 }
        XCTAssertEqual(InventoryCollector.gaps(one), ["000000010000000000000005", "000000010000000000000006"])
    }

    func testAgesAndSizesForPeople() {
        XCTAssertEqual(AgeText.format(12), "12s")
        XCTAssertEqual(AgeText.format(250), "4m 10s")
        XCTAssertEqual(AgeText.format(26 * 3600 + 300), "1d 2h")
        XCTAssertEqual(AgeText.format(3 * 3600), "3h")
        XCTAssertEqual(AgeText.bytes(812), "812 B")
        XCTAssertEqual(AgeText.bytes(3_500), "3.4 KiB")
    }
}
