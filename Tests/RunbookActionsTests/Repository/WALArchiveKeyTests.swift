import Foundation
@testable import RunbookActions
import XCTest

/// The WAL archive's keys (`PREFIX/wal/NAME.SHA256.age`): what is read back from a listing,
/// and which names may be archived or fetched at all.
final class WALArchiveKeyTests: XCTestCase {
    let sha = String(repeating: "ab", count: 32)

    func testKeysOfEveryKindOfWALFileParseBackToTheirNameAndSha256() {
        for name in ["000000010000000A000000C3", "00000002.history", "000000010000000A000000C3.00000028.backup",
                     "000000010000000A000000C4.partial"] {
            let parsed = WALArchive.parse(key: "prod/wal/\(name).\(sha).age", prefix: "prod/wal/")
            XCTAssertEqual(parsed?.name, name)
            XCTAssertEqual(parsed?.sha, sha)
        }
    }

    func testKeysThatAreNotArchivedFilesAreIgnored() {
        for key in ["prod/wal/000000010000000A000000C3.age",                          // no sha256
                    "prod/wal/000000010000000A000000C3.\(sha.uppercased()).age",     // not ours: we write lower case
                    "prod/wal/000000010000000A000000C3.\(sha.dropLast()).age",       // 63 digits
                    "prod/wal/notes.txt.\(sha).age",                                 // not a WAL name
                    "prod/wal/000000010000000A000000C3.\(sha)",                      // no .age
                    "other/wal/000000010000000A000000C3.\(sha).age"] {               // another prefix
            XCTAssertNil(WALArchive.parse(key: key, prefix: "prod/wal/"), key)
        }
    }

    func testOnlyNamesPostgreSQLArchivesAreAccepted() {
        XCTAssertNoThrow(try WALArchive.checkName("000000010000000000000001"))
        for bad in ["", "../000000010000000000000001", "000000010000000000000001/x", "RECOVERYXLOG", "00000002.history.tmp"] {
            XCTAssertThrowsError(try WALArchive.checkName(bad), bad) { error in
                XCTAssertEqual(error as? WALArchiveError, .notAWALFile(bad))
            }
        }
    }
}
