import XCTest
@testable import RunbookActions

final class InstantTests: XCTestCase {
    // 2024-01-15 14:30:00 UTC
    let base: Int64 = 1_705_329_000 * 1_000_000

    func testParsesTheFormsOperatorsAndPostgreSQLWrite() {
        XCTAssertEqual(Instant.parse("2024-01-15 14:30:00")?.microseconds, base, "no zone is UTC")
        XCTAssertEqual(Instant.parse("2024-01-15T14:30:00Z")?.microseconds, base)
        XCTAssertEqual(Instant.parse("2024-01-15 14:30:00 UTC")?.microseconds, base)
        XCTAssertEqual(Instant.parse("2024-01-15 14:30:00+00")?.microseconds, base)
        XCTAssertEqual(Instant.parse("2024-01-15 17:30:00+03")?.microseconds, base)
        XCTAssertEqual(Instant.parse("2024-01-15 09:00:00-05:30")?.microseconds, base)
        XCTAssertEqual(Instant.parse("2024-01-15 14:30:00.5Z")?.microseconds, base + 500_000)
        XCTAssertEqual(Instant.parse("2024-01-15 14:30:00.000001+00")?.microseconds, base + 1)
        XCTAssertEqual(Instant.parse("2024-01-15T14:30:00.123456Z")?.microseconds, base + 123_456)
    }

    func testRejectsWhatIsNotATime() {
        XCTAssertNil(Instant.parse("yesterday"))
        XCTAssertNil(Instant.parse("2024-02-30 00:00:00"), "no 30 February")
        XCTAssertNil(Instant.parse("2024-01-15 24:00:00"))
        XCTAssertNil(Instant.parse("2024-01-15 14:30:00.1234567"), "PostgreSQL has microseconds, not more")
        XCTAssertNil(Instant.parse("2024-01-15"))
    }

    func testFormatsForPostgresqlAutoConfAndTheCatalog() throws {
        let t = Instant(microseconds: base + 42)
        XCTAssertEqual(t.postgresText, "2024-01-15 14:30:00.000042+00")
        XCTAssertEqual(t.iso8601, "2024-01-15T14:30:00.000042Z")
        XCTAssertEqual(Instant.parse(t.postgresText), t)
        XCTAssertEqual(Instant.parse(t.iso8601), t)
    }

    func testParsesPsqlEpochWithoutFloatingPointLoss() {
        XCTAssertEqual(Instant.parseEpoch("1705329000.000001")?.microseconds, base + 1)
        XCTAssertEqual(Instant.parseEpoch("1705329000")?.microseconds, base)
        XCTAssertEqual(Instant.parseEpoch("1705329000.5\n")?.microseconds, base + 500_000)
        XCTAssertNil(Instant.parseEpoch(""))
        XCTAssertNil(Instant.parseEpoch("12a.5"))
    }
}
