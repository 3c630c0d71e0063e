@testable import RunbookActions
import XCTest

final class DumpSnifferTests: XCTestCase {
    func testCustomArchiveMagic() {
        XCTAssertEqual(DumpSniffer.sniff(header: Data("PGDMP\u{1}\u{e}\u{0}".utf8)), .custom)
    }

    func testGzipMagic() {
        XCTAssertEqual(DumpSniffer.sniff(header: Data([0x1f, 0x8b, 0x08, 0x00])), .gzip)
    }

    func testTarHeaderHasUstarAt257() {
        var block = [UInt8](repeating: 0, count: 512)
        block.replaceSubrange(257..<262, with: Array("ustar".utf8))
        XCTAssertEqual(DumpSniffer.sniff(header: Data(block)), .tar)
    }

    func testAnythingElseIsSQLText() {
        XCTAssertEqual(DumpSniffer.sniff(header: Data("--\n-- PostgreSQL database dump\n".utf8)), .plain)
        XCTAssertEqual(DumpSniffer.sniff(header: Data("PGDM".utf8)), .plain, "a truncated magic is not an archive")
        XCTAssertEqual(DumpSniffer.sniff(header: Data([0x1f])), .plain)
    }

    func testDirectoriesNeedTocDatAndEmptyFilesAreNeverADump() throws {
        let dir = NSTemporaryDirectory() + "sniff-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try DumpSniffer.sniff(path: dir)) { XCTAssertTrue("\($0)".contains("toc.dat")) }
        _ = FileManager.default.createFile(atPath: dir + "/toc.dat", contents: Data("PGDMP".utf8))
        XCTAssertEqual(try DumpSniffer.sniff(path: dir), .directory)
        _ = FileManager.default.createFile(atPath: dir + "/toc.dat/../empty.sql", contents: Data())
        XCTAssertThrowsError(try DumpSniffer.sniff(path: dir + "/empty.sql")) { XCTAssertTrue("\($0)".contains("empty")) }
        XCTAssertThrowsError(try DumpSniffer.sniff(path: dir + "/missing.dump")) { XCTAssertTrue("\($0)".contains("does not exist")) }
    }
}
