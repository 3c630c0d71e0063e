import Foundation
@testable import RunbookActions
import XCTest

/// The push's pure arithmetic and formatting: how a part is cut so it never outgrows its
/// buffer, and the push time written without an ICU formatter.
final class RepositoryPartTests: XCTestCase {
    func testThePlaintextGivenForAPartAlwaysSealsIntoItsBufferAndAFullPartIsAtLeastSevenAndAHalfMiB() {
        let sealed = AgePayloadStream.sealedChunkSize, chunk = AgePayloadStream.chunkSize
        for used in [0, 1, 5 << 20, RepositoryStore.partSize - 3 * sealed, RepositoryStore.partSize - 2 * sealed,
                     RepositoryStore.partSize - 2 * sealed + 1, RepositoryStore.partSize] {
            let fits = RepositoryStore.plaintextThatFits(used)
            // The worst case: a chunk held back from before, then every fed chunk sealed.
            let worst = (fits / chunk + 1) * sealed
            XCTAssertLessThanOrEqual(used + (fits > 0 ? worst : 0), RepositoryStore.partSize, "used \(used)")
            if fits == 0 { XCTAssertGreaterThan(used, RepositoryStore.partSize - 2 * sealed - 1, "sent too early at \(used)") }
        }
        XCTAssertEqual(RepositoryStore.plaintextThatFits(0), (RepositoryStore.partSize / sealed - 1) * chunk)
        XCTAssertEqual(RepositoryStore.partSize & (RepositoryStore.partSize - 1), 0, "NIO rounds a capacity up to a power of two")
    }

    func testTheTimestampIsWhatISO8601DateFormatterWrites() {
        for seconds in [0.0, 1_796_441_150.9, 951_782_400, 4_102_444_799] {
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(RepositoryStore.timestamp(date), ISO8601DateFormatter().string(from: date))
        }
    }
}
