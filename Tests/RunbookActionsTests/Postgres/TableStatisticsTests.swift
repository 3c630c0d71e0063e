@testable import RunbookActions
import XCTest

final class TableStatisticsTests: XCTestCase {
    func testParsesVersionCountsAndOddTableNames() throws {
        let out = #"{"server_version" : "15.18 (Debian 15.18-0+deb12u1)", "row_counts" : { "event_service.events" : 100, "public.\"we|ird\"" : 2 }}"# + "\n"
        let s = try TableStatistics.parse(out)
        XCTAssertEqual(s.serverVersion, "15.18 (Debian 15.18-0+deb12u1)")
        XCTAssertEqual(s.rowCounts, ["event_service.events": 100, "public.\"we|ird\"": 2])
    }

    func testGarbageIsAnError() {
        XCTAssertThrowsError(try TableStatistics.parse("ERROR: nope")) { XCTAssertTrue("\($0)".contains("unexpected output")) }
    }

    func testDifferencesNameEveryMismatchMissingAndExtraTable() {
        let d = TableStatistics.differences(expected: ["a": Int64(1), "b": 2, "c": 3], actual: ["a": 1, "b": 5, "d": 4], what: "rows")
        XCTAssertEqual(d, ["b: rows 5, expected 2", "c: missing", "d: not in the expected set"])
    }

    func testStatementsRunInAReadOnlyRepeatableReadTransaction() {
        let s = TableStatistics.statements(.md5)
        XCTAssertEqual(s.first, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        XCTAssertEqual(s[1], "SET LOCAL max_parallel_workers_per_gather = 0")
        XCTAssertTrue(s[2].contains("md5(string_agg(t::text"))
        XCTAssertEqual(s.last, "COMMIT")
    }
}

final class TableStatisticsLenientTests: XCTestCase {
    func testTablesOnlyInTheRestoredDatabaseCountOnlyWhenExact() {
        let expected: [String: Int64] = ["a": 1]
        let actual: [String: Int64] = ["a": 1, "extra": 9]
        XCTAssertEqual(TableStatistics.differences(expected: expected, actual: actual, what: "rows", exact: false), [])
        XCTAssertEqual(TableStatistics.differences(expected: expected, actual: actual, what: "rows", exact: true), ["extra: not in the expected set"])
    }
}
