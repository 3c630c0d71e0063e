import Foundation
import XCTest
@testable import RunbookCore

/// The one-pass libyaml event composer must give exactly the tree (and, by falling back,
/// exactly the diagnostics) that composing with Yams gives.
final class EventComposerTests: XCTestCase {
    /// Documents that exercise every event kind, scalar style, anchors and the fallbacks.
    static let documents: [String] = [
        "a: 1\nb: [x, 'y', \"z\"]\nc: {d: e}\n",
        "runbook: x\nsteps:\n  - id: a\n    run: echo ${params.x}\n  - id: b\n    text: |\n      line one\n      line two\n    more: >\n      folded\n      text\n",
        "base: &b {x: 1, y: [1, 2]}\nuse: *b\nagain: [*b, *b]\n",
        "s: &v scalar\nt: *v\nu: &v other\nw: *v\n",
        "seq: &l\n  - &m {k: v}\n  - *m\nrepeat: *l\n",
        "self: &a [1, *a]\n",
        "undefined: *nope\n",
        "key: 1\nkey: 2\n",
        "!!str key: 1\nkey: 2\n",
        "? [complex]\n: value\n",
        "&k key: value\nother: *k\n",
        "a: 1\n*x : 2\n",
        "a: 1\n---\nb: 2\n",
        "--- \na: 1\n...\n",
        "",
        "# only a comment\n",
        "---\n",
        "\u{FEFF}a: 1\n",
        "a: \"\u{FEFF}x\"\n",
        "name: Ünïcødé 🎉\nquote: 'it''s'\nesc: \"tab\\there\"\nemoji: \"🎉 ${x}\"\n",
        "crlf: yes\r\nnext: [1, 2]\r\n",
        "tags: !!str 1\nother: !custom {a: b}\nlist: !!seq [1]\n",
        "empty:\nnull: ~\nflow: {a: , b: }\n",
        "a: [1, 2\nb: c\n",
        "a:\n  b:\n    c:\n      d:\n        e: deep\n",
        "l0: &l0 [x, x, x, x]\nl1: &l1 [*l0, *l0, *l0, *l0]\nl2: &l2 [*l1, *l1, *l1, *l1]\nl3: [*l2, *l2, *l2, *l2]\n",
        "many: {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9, k10: 10}\n",
        "many: {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9, k3: 10}\n",
        "just a scalar\n",
        "- a\n- b\n",
    ]

    func assertSameAsYams(_ data: Data, path: String, limits: YAMLDocument.Limits = .init(),
                          file: StaticString = #filePath, line: UInt = #line) {
        let fast = YAMLDocument.parse(data, path: path, limits: limits, fastPath: true)
        let yams = YAMLDocument.parse(data, path: path, limits: limits, fastPath: false)
        XCTAssertEqual(fast.root, yams.root, "tree of \(path)", file: file, line: line)
        XCTAssertEqual(fast.diagnostics, yams.diagnostics, "diagnostics of \(path)", file: file, line: line)
    }

    func testEdgeCaseDocumentsComposeAsYamsDoes() {
        for (i, doc) in Self.documents.enumerated() {
            assertSameAsYams(Data(doc.utf8), path: "doc\(i).yaml")
        }
    }

    func testEveryFixtureAndShippedFileComposesAsYamsDoes() throws {
        let root = packageRoot.path
        var count = 0
        for dir in ["Tests/Fixtures/ok", "Tests/Fixtures/err", "runbooks", "profiles"] {
            for file in BatchValidation.yamlFiles(in: "\(root)/\(dir)") {
                let data = try XCTUnwrap(FileManager.default.contents(atPath: file))
                assertSameAsYams(data, path: file)
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 50)
    }

    /// Around the node and depth limits the fast path must decline exactly where the Yams
    /// path reports `yaml-too-large` / `yaml-too-deep`, never accept a document it rejects.
    func testLimitsAreEnforcedAsYamsPathEnforcesThem() {
        let aliases = Data(Self.documents[25].utf8)
        let nested = Data(Self.documents[24].utf8)
        for maxNodes in Array(1...30) + Array(440...460) {
            var limits = YAMLDocument.Limits()
            limits.maxNodes = maxNodes
            assertSameAsYams(aliases, path: "aliases.yaml", limits: limits)
            assertSameAsYams(nested, path: "nested.yaml", limits: limits)
        }
        for maxDepth in 0...6 {
            var limits = YAMLDocument.Limits()
            limits.maxDepth = maxDepth
            assertSameAsYams(aliases, path: "aliases.yaml", limits: limits)
            assertSameAsYams(nested, path: "nested.yaml", limits: limits)
        }
    }

    /// The fast path must actually be taken for ordinary files (with anchors and aliases),
    /// or the speed-up silently disappears behind the fallback.
    func testOrdinaryDocumentsTakeTheFastPath() throws {
        let limits = YAMLDocument.Limits()
        for i in [0, 1, 2, 3, 4, 19, 20, 21, 22, 26] {
            XCTAssertNotNil(EventComposer.compose(Self.documents[i], file: "d.yaml", limits: limits), "document \(i)")
        }
        for file in BatchValidation.yamlFiles(in: packageRoot.path + "/runbooks") {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            XCTAssertNotNil(EventComposer.compose(text, file: file, limits: limits), file)
        }
        for i in [5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 23, 27] {
            XCTAssertNil(EventComposer.compose(Self.documents[i], file: "d.yaml", limits: limits), "document \(i)")
        }
    }
}
