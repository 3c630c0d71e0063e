import XCTest
@testable import RunbookCore

final class RendererTests: XCTestCase {
    let source = "runbook: t\nsteps:\n  - id: a\n\taction: test.dmup\n"
    var diag: Diagnostic {
        .error(.unknownAction, "unknown action \"test.dmup\"", at: SourceLocation(file: "t.yaml", line: 4, column: 10),
               length: 9, notes: ["valid actions: test.dump"])
    }

    func testPlainTextIsGccStyleWithNotes() {
        XCTAssertEqual(DiagnosticRenderer.text([diag], sources: ["t.yaml": source], caret: false, color: false), """
        t.yaml:4:10: error: unknown action "test.dmup" [unknown-action]
        note: valid actions: test.dump

        """)
    }

    func testCaretUnderlinesTheTokenAndKeepsTabs() {
        XCTAssertEqual(DiagnosticRenderer.text([diag], sources: ["t.yaml": source], caret: true, color: false), """
        t.yaml:4:10: error: unknown action "test.dmup" [unknown-action]
        \taction: test.dmup
        \t        ^~~~~~~~~
        note: valid actions: test.dump

        """)
    }

    func testCaretIsClampedToTheLineAndSkippedWithoutSource() {
        let long = Diagnostic.error(.type, "m", at: SourceLocation(file: "t.yaml", line: 1, column: 10), length: 500)
        XCTAssertEqual(DiagnosticRenderer.text([long], sources: ["t.yaml": source], caret: true, color: false),
                       "t.yaml:1:10: error: m [type]\nrunbook: t\n         ^\n")
        let elsewhere = Diagnostic.error(.type, "m", at: SourceLocation(file: "other.yaml", line: 1, column: 1))
        XCTAssertEqual(DiagnosticRenderer.text([elsewhere], sources: [:], caret: true, color: false), "other.yaml:1:1: error: m [type]\n")
        let beyond = Diagnostic.error(.type, "m", at: SourceLocation(file: "t.yaml", line: 99, column: 1))
        XCTAssertEqual(DiagnosticRenderer.text([beyond], sources: ["t.yaml": source], caret: true, color: false), "t.yaml:99:1: error: m [type]\n")
    }

    func testColorOnlyWhenAsked() {
        let colored = DiagnosticRenderer.text([diag], sources: [:], caret: false, color: true)
        XCTAssertTrue(colored.contains("\u{1B}[1;31merror:\u{1B}[0m"))
        XCTAssertFalse(DiagnosticRenderer.text([diag], sources: [:], caret: false, color: false).contains("\u{1B}"))
    }

    func testJSONHasTheDocumentedFields() throws {
        let unplaced = Diagnostic.error(.io, "no \"dir\"", at: nil)
        let json = DiagnosticRenderer.json([unplaced, diag])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(object["valid"] as? Bool, false)
        XCTAssertEqual(object["errors"] as? Int, 2)
        let items = try XCTUnwrap(object["diagnostics"] as? [[String: Any]])
        XCTAssertEqual(Set(items[1].keys), ["file", "line", "column", "severity", "rule", "message", "notes"])
        XCTAssertEqual(items[1]["file"] as? String, "t.yaml")
        XCTAssertEqual(items[1]["line"] as? Int, 4)
        XCTAssertEqual(items[1]["column"] as? Int, 10)
        XCTAssertEqual(items[1]["notes"] as? [String], ["valid actions: test.dump"])
        XCTAssertTrue(items[0]["file"] is NSNull)
        XCTAssertEqual(items[0]["message"] as? String, "no \"dir\"")
    }

    func testJSONValueIsDeterministicAndEscaped() {
        let v: JSONValue = ["b": [1, true, .null], "a": "x\"\n\u{1}/ü", "c": [:]]
        XCTAssertEqual(v.compact, #"{"a":"x\"\n\u0001/ü","b":[1,true,null],"c":{}}"#)
        XCTAssertEqual(v.pretty, """
        {
          "a": "x\\"\\n\\u0001/ü",
          "b": [
            1,
            true,
            null
          ],
          "c": {}
        }
        """)
    }
}

final class RendererLongLineTests: XCTestCase {
    func testLongLinesAreCutToAWindowAroundTheColumn() {
        let line = String(repeating: "a", count: 1000) + "BAD" + String(repeating: "b", count: 1000)
        let d = Diagnostic.error(.type, "m", at: SourceLocation(file: "t", line: 1, column: 1001), length: 3)
        let out = DiagnosticRenderer.text([d], sources: ["t": line], caret: true, color: false).split(separator: "\n").map(String.init)
        XCTAssertEqual(out.count, 3)
        XCTAssertTrue(out[1].hasPrefix("...") && out[1].hasSuffix("..."))
        XCTAssertLessThanOrEqual(out[1].count, 166)
        let caret = out[2].firstIndex(of: "^").map { out[2].distance(from: out[2].startIndex, to: $0) } ?? -1
        XCTAssertEqual(Array(out[1])[caret..<caret + 3].map(String.init).joined(), "BAD", "the caret stays under the token")
        XCTAssertTrue(out[2].hasSuffix("^~~"))
    }
}
