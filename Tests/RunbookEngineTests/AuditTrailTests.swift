import Foundation
@testable import RunbookEngine
import XCTest

/// The hash chain: every kind of tampering is caught and the first bad line named;
/// a torn final line is told apart and repaired by the next writer.
final class AuditTrailTests: XCTestCase {
    var dir: String!
    var path: String { dir + "/audit.jsonl" }

    override func setUp() { dir = makeTemporaryDirectory("audit") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func event(_ name: String, step: String? = nil) -> AuditEvent {
        var e = AuditEvent(event: name, run: "r1", runbook: "rb", runbookDigest: "d", operatorName: "op", user: "u", host: "h")
        e.step = step
        return e
    }

    private func writeFive() throws {
        let log = try AuditLog(path: path)
        for i in 1...5 { try log.append(event("step.end", step: "s\(i)")) }
    }

    private var lines: [String] {
        get { (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? [] }
    }

    private func write(_ lines: [String]) throws {
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testIntactTrailVerifies() throws {
        try writeFive()
        let report = try AuditVerifier.verify(path: path)
        XCTAssertTrue(report.isIntact)
        XCTAssertEqual(report.verifiedLines, 5)
        XCTAssertNil(report.tornLine)
    }

    func testEditedLineIsNamed() throws {
        try writeFive()
        var l = lines
        l[2] = l[2].replacingOccurrences(of: "\"s3\"", with: "\"s9\"")
        try write(l)
        let report = try AuditVerifier.verify(path: path)
        XCTAssertEqual(report.firstBadLine, 3)
        XCTAssertTrue(report.problem?.contains("edited") ?? false, report.problem ?? "")
        XCTAssertEqual(report.verifiedLines, 2)
    }

    func testEditedLineWithRecomputedHashBreaksTheNextLine() throws {
        try writeFive()
        var l = lines
        // A careful forger re-seals line 2 after editing it; line 3 still points at the old hash.
        let original = Data(l[1].utf8)
        let (body, _) = try XCTUnwrap(AuditChain.unseal(original))
        let edited = Data(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"s2\"", with: "\"sX\"").utf8)
        l[1] = String(decoding: AuditChain.seal(edited).line, as: UTF8.self)
        try write(l)
        let report = try AuditVerifier.verify(path: path)
        XCTAssertEqual(report.firstBadLine, 3)
        XCTAssertTrue(report.problem?.contains("chain broken") ?? false, report.problem ?? "")
    }

    func testDeletedLineIsNamed() throws {
        try writeFive()
        var l = lines
        l.remove(at: 1)
        try write(l)
        let report = try AuditVerifier.verify(path: path)
        XCTAssertEqual(report.firstBadLine, 2)
        XCTAssertTrue(report.problem?.contains("event 2 is missing") ?? false, report.problem ?? "")
    }

    func testReorderedLinesAreNamed() throws {
        try writeFive()
        var l = lines
        l.swapAt(2, 3)
        try write(l)
        let report = try AuditVerifier.verify(path: path)
        XCTAssertEqual(report.firstBadLine, 3)
    }

    func testDeletedFirstLineIsNamed() throws {
        try writeFive()
        var l = lines
        l.removeFirst()
        try write(l)
        XCTAssertEqual(try AuditVerifier.verify(path: path).firstBadLine, 1)
    }

    func testTornFinalLineIsReportedAndEverythingBeforeVerifies() throws {
        try writeFive()
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"seq\":6,\"event\":\"step.st".utf8))
        try handle.close()
        let report = try AuditVerifier.verify(path: path)
        XCTAssertTrue(report.isIntact)
        XCTAssertEqual(report.verifiedLines, 5)
        XCTAssertEqual(report.tornLine, 6)

        // The next writer cuts the torn line off, records that, and the chain holds again.
        let log = try AuditLog(path: path)
        try log.append(event("run.start"))
        let after = try AuditVerifier.verify(path: path)
        XCTAssertTrue(after.isIntact)
        XCTAssertNil(after.tornLine)
        XCTAssertEqual(after.verifiedLines, 7)
        XCTAssertTrue(lines[5].contains("\"audit.repaired\""))
    }

    func testTwoWritersKeepOneChain() throws {
        let a = try AuditLog(path: path)
        let b = try AuditLog(path: path)
        for i in 0..<10 { try (i.isMultiple(of: 2) ? a : b).append(event("e\(i)")) }
        let report = try AuditVerifier.verify(path: path)
        XCTAssertTrue(report.isIntact, report.problem ?? "")
        XCTAssertEqual(report.verifiedLines, 10)
    }

    func testEventsCarryTheRequiredFields() throws {
        let log = try AuditLog(path: path)
        var e = event("process", step: "dump")
        e.argv = ["pg_dump", "-Fc", "shop"]
        e.exitStatus = 0
        e.duration = 1.5
        e.outputBytes = 1234
        try log.append(e)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for key in ["time", "run", "operator", "host", "user", "runbook_digest", "argv", "exit_status", "duration", "output_bytes", "prev", "hash", "seq"] {
            XCTAssertNotNil(object[key], key)
        }
        XCTAssertEqual(object["prev"] as? String, AuditChain.genesis)
    }
}
