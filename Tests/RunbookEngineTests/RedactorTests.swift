import Foundation
@testable import RunbookEngine
import XCTest

final class RedactorTests: XCTestCase {
    let redactor = Redactor(secrets: ["pw": "p@ss w/rd:42!", "key": "AKIAexample"])

    func testRawValueIsReplacedByItsName() {
        XCTAssertEqual(redactor.redact("password=p@ss w/rd:42! end"), "password=[secret:pw] end")
    }

    func testURLEncodedFormsAreReplaced() {
        let encoded = "p@ss w/rd:42!".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        XCTAssertFalse(redactor.redact("postgres://u:\(encoded)@h/db").contains(encoded))
        let query = "p@ss w/rd:42!".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
        XCTAssertEqual(redactor.redact("x=\(query)"), "x=[secret:pw]")
    }

    func testBase64FormsAreReplaced() {
        let whole = Data("p@ss w/rd:42!".utf8).base64EncodedString()
        XCTAssertEqual(redactor.redact("token \(whole)"), "token [secret:pw]")
        let url = whole.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        XCTAssertFalse(redactor.redact(url).contains(url))
    }

    func testSecretInsideLongerBase64IsReplacedAtEveryAlignment() {
        for prefix in ["", "u:", "ab:", "abc:"] {
            let basic = Data((prefix + "p@ss w/rd:42!" + ":tail").utf8).base64EncodedString()
            let redacted = redactor.redact("Authorization: Basic \(basic)")
            XCTAssertTrue(redacted.contains("[secret:pw]"), "prefix \(prefix.count): \(redacted)")
            // Nothing that decodes back to the secret survives.
            XCTAssertFalse(redacted.contains(basic))
        }
    }

    func testTextWithoutSecretsIsUnchanged() {
        XCTAssertEqual(redactor.redact("nothing to hide"), "nothing to hide")
        XCTAssertEqual(Redactor.none.redact("p@ss"), "p@ss")
    }
}
