import XCTest
import RunbookCore
@testable import RunbookActions

final class ArchiveCommandsTests: XCTestCase {
    func testArchiveCommandNeverOverwritesAndMakesSegmentsDurable() {
        XCTAssertEqual(ArchiveCommands.archiveCommand(archiveDir: "/var/lib/postgresql/wal_archive/"),
                       "if [ -f /var/lib/postgresql/wal_archive/%f ]; then cmp -s %p /var/lib/postgresql/wal_archive/%f; "
                       + "else cp %p /var/lib/postgresql/wal_archive/%f.tmp && sync /var/lib/postgresql/wal_archive/%f.tmp "
                       + "&& mv /var/lib/postgresql/wal_archive/%f.tmp /var/lib/postgresql/wal_archive/%f && sync /var/lib/postgresql/wal_archive; fi")
        XCTAssertEqual(ArchiveCommands.restoreCommand(archiveDir: "/a"), "cp /a/%f %p")
    }

    func testArchiveDirectoriesThatAShellOrPercentSubstitutionWouldMangleAreRefused() {
        for bad in ["relative/dir", "/with space", "/it's", "/100%", "/$HOME", "/a/../b", "/", "/a;rm", "/a*"] {
            XCTAssertThrowsError(try ArchiveCommands.validate(archiveDir: bad), bad)
        }
        XCTAssertNoThrow(try ArchiveCommands.validate(archiveDir: "/srv/pg-15/wal_archive.main@host=1,2+3"))
    }

    /// The archive_command as the server runs it (`sh -c`), in a scratch directory: it copies,
    /// succeeds again for identical bytes, and refuses different bytes under an existing name.
    func testArchiveCommandBehaviourUnderAShell() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pitr-ac-" + UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/arch", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/pg_wal", withIntermediateDirectories: true)
        let segment = "000000010000000000000001"
        try Data("first".utf8).write(to: URL(fileURLWithPath: root + "/pg_wal/" + segment))
        func archive() throws -> Int32 {
            let command = ArchiveCommands.archiveCommand(archiveDir: root + "/arch")
                .replacingOccurrences(of: "%p", with: "pg_wal/" + segment).replacingOccurrences(of: "%f", with: segment)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command]
            p.currentDirectoryURL = URL(fileURLWithPath: root)
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        XCTAssertEqual(try archive(), 0)
        XCTAssertEqual(try String(contentsOfFile: root + "/arch/" + segment, encoding: .utf8), "first")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/arch/" + segment + ".tmp"))
        XCTAssertEqual(try archive(), 0, "re-archiving identical bytes succeeds")
        try Data("other".utf8).write(to: URL(fileURLWithPath: root + "/pg_wal/" + segment))
        XCTAssertNotEqual(try archive(), 0, "different bytes under an archived name are refused")
        XCTAssertEqual(try String(contentsOfFile: root + "/arch/" + segment, encoding: .utf8), "first", "and the archived segment is untouched")
    }
}
