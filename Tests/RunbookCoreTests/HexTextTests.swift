import Foundation
import RunbookCore
import XCTest

/// Digests are written as lowercase hex without Foundation's formatting.
final class HexTextTests: XCTestCase {
    func testWritesEveryByteAsTwoLowercaseDigits() {
        XCTAssertEqual(HexText.lowercase([0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c")
        XCTAssertEqual(HexText.lowercase([UInt8]()), "")
        let all = (0...255).map { UInt8($0) }
        XCTAssertEqual(HexText.lowercase(all), all.map { String(format: "%02x", $0) }.joined())
    }
}
