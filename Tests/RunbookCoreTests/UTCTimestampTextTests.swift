import Foundation
import RunbookCore
import XCTest

/// The engine's own timestamps are written and read without ICU; they must read and write
/// exactly what `ISO8601DateFormatter` did, so old journals, audit lines and manifests still read.
final class UTCTimestampTextTests: XCTestCase {
    private func foundation(_ date: Date, milliseconds: Bool) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = milliseconds ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return f.string(from: date)
    }

    func testFormatsAsISO8601DateFormatterDid() {
        let dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_733_356_700.123_9),
                     Date(timeIntervalSince1970: 951_782_400.5), Date(timeIntervalSince1970: 4_102_444_799.999),
                     Date(timeIntervalSince1970: -86_400.25), Date(timeIntervalSince1970: 1_800_000_000.001)]
        for date in dates {
            XCTAssertEqual(UTCTimestampText.format(date, milliseconds: true), foundation(date, milliseconds: true), "\(date.timeIntervalSince1970)")
            XCTAssertEqual(UTCTimestampText.format(date, milliseconds: false), foundation(date, milliseconds: false), "\(date.timeIntervalSince1970)")
        }
        XCTAssertEqual(UTCTimestampText.format(Date(timeIntervalSince1970: 1_733_356_700.123_9), milliseconds: true), "2024-12-04T23:58:20.124Z")
    }

    func testReadsWhatItWritesToTheMillisecond() {
        for seconds in [0.0, 1_733_356_700.123, 951_782_400.5, 1_800_000_000.001] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = UTCTimestampText.format(date, milliseconds: true)
            XCTAssertEqual(UTCTimestampText.parse(text)?.timeIntervalSince1970 ?? -1, seconds, accuracy: 0.0005, text)
        }
    }

    func testReadsOffsetsAndShortFractions() {
        XCTAssertEqual(UTCTimestampText.parse("2024-01-15T14:30:00+02:00"), UTCTimestampText.parse("2024-01-15T12:30:00Z"))
        XCTAssertEqual(UTCTimestampText.parse("2024-01-15T14:30:00-01:30"), UTCTimestampText.parse("2024-01-15T16:00:00Z"))
        XCTAssertEqual(UTCTimestampText.parse("2024-01-15T14:30:00.5Z")?.timeIntervalSince1970, 1_705_329_000.5)
    }

    func testLeavesEveryOtherFormToFoundation() {
        for text in ["2024-01-15 14:30:00 UTC", "2024-01-15T14:30:00", "2024-01-15", "2024-02-30T00:00:00Z",
                     "2024-01-15T14:30:00.1234Z", "2024-01-15T24:00:00Z", "2024-01-15T14:30:00+2:00", "", "garbage"] {
            XCTAssertNil(UTCTimestampText.parse(text), text)
        }
        XCTAssertEqual(Timestamp.parse("2024-01-15 14:30:00 UTC"), UTCTimestampText.parse("2024-01-15T14:30:00Z"),
                       "the forms people write still read, through Foundation")
    }
}
