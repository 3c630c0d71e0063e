import Foundation
import RunbookCore
import XCTest

final class PlanDigestTests: XCTestCase {
    func testDigestChangesWithRunbookParamsAndProfileOnly() throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        params: {n: {type: int, default: 5}, db: {type: identifier}}
        steps: [{id: a, action: shell.run, with: {command: "true"}}]
        """)
        let (fromDefault, _) = ParamBinder.bind(rb, given: ["db": "shop"])
        let (fromCLI, _) = ParamBinder.bind(rb, given: ["db": "shop", "n": "5"])
        let base = PlanDigest.compute(graph: RunbookGraph(root: rb, available: [:]), params: fromDefault, profile: nil)
        XCTAssertEqual(base.count, 71, "sha256: + 64 hex digits")
        XCTAssertTrue(base.hasPrefix("sha256:"))
        XCTAssertEqual(base, PlanDigest.compute(graph: RunbookGraph(root: rb, available: [:]), params: fromCLI, profile: nil), "a default and the same value given agree")
        let (other, _) = ParamBinder.bind(rb, given: ["db": "shop2"])
        XCTAssertNotEqual(base, PlanDigest.compute(graph: RunbookGraph(root: rb, available: [:]), params: other, profile: nil))
        var edited = rb
        edited.digest = String(repeating: "0", count: 64)
        XCTAssertNotEqual(base, PlanDigest.compute(graph: RunbookGraph(root: edited, available: [:]), params: fromDefault, profile: nil))
        let profile = Profile(name: "p", path: "p.yaml", digest: "abc")
        XCTAssertNotEqual(base, PlanDigest.compute(graph: RunbookGraph(root: rb, available: [:]), params: fromDefault, profile: profile))
    }

    func testMatchesAcceptsTheDigestOrALongPrefix() {
        let d = String(repeating: "ab", count: 32)
        XCTAssertTrue(PlanDigest.matches(d, d))
        XCTAssertTrue(PlanDigest.matches("sha256:" + d.prefix(12), d))
        XCTAssertFalse(PlanDigest.matches(String(d.prefix(8)), d), "too short to mean anything")
        XCTAssertFalse(PlanDigest.matches("ff" + d.dropFirst(2), d))
    }
}
