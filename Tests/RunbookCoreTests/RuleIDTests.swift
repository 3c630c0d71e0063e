import Foundation
import XCTest
@testable import RunbookCore

/// Rule ids come from one list, `RuleID`: `Diagnostic` takes only a `RuleID`, so an
/// unlisted id does not compile. These tests keep the list itself sound and check that no
/// source builds a diagnostic from a string literal some other way.
final class RuleIDTests: XCTestCase {
    func testIdsAreUniqueAndEachHasAOneLineSummary() {
        let ids = RuleID.allCases.map(\.rawValue)
        XCTAssertEqual(Set(ids).count, ids.count)
        for id in RuleID.allCases {
            XCTAssertTrue(id.rawValue.allSatisfy { $0.isLowercase || $0 == "-" }, "\(id) is not kebab-case")
            XCTAssertFalse(id.summary.isEmpty, "\(id) has no summary")
            XCTAssertFalse(id.summary.contains("\n"), "\(id)'s summary is not one line")
            XCTAssertTrue(id.summary.hasSuffix("."), "\(id)'s summary is not a sentence")
        }
    }

    func testEveryValidationRuleReportsAListedId() {
        for rule in Validator.rules { XCTAssertNotNil(RuleID(rawValue: rule.name.rawValue)) }
    }

    /// The type makes unlisted ids fail to compile; this catches a bypass (a string-taking
    /// initialiser added later, or a rule id assigned as text) in any module's sources.
    func testNoSourceWritesARuleIdAsAStringLiteral() throws {
        let sources = packageRoot.appendingPathComponent("Sources")
        let pattern = try NSRegularExpression(pattern: #"\.(error|warning)\(\s*"|rule:\s*"|\.rule\s*[!=]=\s*""#)
        var offenders: [String] = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = String(line)
                if pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil {
                    offenders.append("\(url.lastPathComponent):\(i + 1): \(s.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        XCTAssertEqual(offenders, [], "build diagnostics from RuleID cases, not strings")
    }
}
