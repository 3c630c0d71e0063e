import XCTest
@testable import RunbookCore

/// Shortcuts for the usual input must give exactly what the general code gives:
/// `Duration` and `Template` parse ASCII text over bytes, `pathKey` returns paths
/// that are already normal as they are, and the nesting pre-scan checks only leading
/// dashes when there are too few `[`/`{` to nest deeply.
final class FastPathTests: XCTestCase {
    func testDurationASCIIParserAgreesWithTheGeneralOne() {
        let inputs = ["90", "90s", "500ms", "5m", "1h30m", "2d", " 30s ", "\t5m", "", " ", "s", "5", "5x", "5 m",
                      "1.5h", "1..5h", "h5", "5h3", "-5s", "-5", "1e3", "inf", "nan", "0x10", "5S", "5Ms", "30s\r\n",
                      "1h-2m", "3m.5s", "1_000s", "+5", "+5s", "10ms5s", "0", "0s", ".5s", "5.s", "mm", "5mss"]
        for text in inputs {
            guard let fast = Duration.parseASCII(text) else { return XCTFail("\(text.debugDescription) is ASCII") }
            XCTAssertEqual(fast, Duration.parseCharacters(text), text.debugDescription)
        }
        XCTAssertTrue(Duration.parseASCII("5\u{00A0}s") == nil, "non-ASCII goes the general way")
        XCTAssertEqual(Duration.parseSeconds("\u{2003}5m"), 300)
    }

    func testTemplateASCIIParserAgreesWithTheGeneralOne() {
        let inputs = ["plain", "", "${params.db}", "a ${params.db} b", "$${params.db}", "$$${params.x}", "${ params.db }",
                      "${run.started_at|%Y%m%d}", "${run.started_at | %Y }", "${steps.a.outputs.b}", "${steps.a.b}",
                      "${params}", "${x.y}", "${db}", "${", "x ${params.a", "${}", "${ }", "${params.a}${params.b}",
                      "$", "$$", "${params.a-b_c}", "${params.a!}", "tab\t${params.a}\tend", "${\tparams.a\t}",
                      "line\r\n${params.a}", "${secrets.pw} and $${literal}", "}{$", "${params..a}", "${|fmt}"]
        for text in inputs {
            XCTAssertEqual(Template.parseASCII(Array(text.utf8)), Template.parseScalars(text), text.debugDescription)
        }
    }

    func testPathKeyShortcutAgreesWithSplitting() {
        let paths = ["a", "a/b.yaml", "/a/b", "./a", "a/./b", "a//b", "a/", "/", "", ".", "..", "../a", "a/..", "a/.",
                     ".hidden/x", "a/.b", "//a", "/./a", "a/b/", "runbooks/x.yaml", "/tmp/vbc/g1000/runbooks/generated-00001.yaml"]
        for path in paths {
            if BatchValidation.isNormal(path) {
                XCTAssertEqual(path, BatchValidation.pathKeySplitting(path), path)
            }
            XCTAssertEqual(BatchValidation.pathKey(path), BatchValidation.pathKeySplitting(path), path)
        }
        XCTAssertTrue(BatchValidation.isNormal("runbooks/x.yaml"), "the usual path takes the shortcut")
        XCTAssertTrue(BatchValidation.isNormal("/abs/x.yaml"))
    }

    func testLeadingDashScanAgreesWithTheFullScanWhenFewOpeners() throws {
        let dashes = String(repeating: "- ", count: 70)
        var texts = ["", "a: 1\n", "\n\n", "-", "---\n", dashes, "a: 1\n" + dashes + "x\n", "  \t" + dashes,
                     "a: \"\n" + dashes + "\"\n", "# c\n" + dashes, "x: [a, {b: c}]\n" + dashes, "\r" + dashes,
                     "a: |\n  " + String(repeating: "-", count: 80) + "\n", "\u{E9}: 1\n" + dashes, dashes + "\n" + dashes]
        for dir in ["Tests/Fixtures/ok", "Tests/Fixtures/err", "runbooks"] {
            for file in BatchValidation.yamlFiles(in: packageRoot.path + "/" + dir) {
                texts.append(try String(contentsOfFile: file, encoding: .utf8))
            }
        }
        for limit in [1, 3, 64] {
            for var text in texts {
                let shown = "limit \(limit): \(text.prefix(40).debugDescription)"
                text.withUTF8 { utf8 in
                    let full = YAMLDocument.flowDepthExceeded(utf8, limit: limit, file: "f")
                    let openers = utf8.filter { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") }.count
                    if openers <= limit {
                        let fast = YAMLDocument.leadingDashesExceeded(utf8, limit: limit, file: "f")
                        XCTAssertEqual(fast?.0, full?.0, shown)
                        XCTAssertEqual(fast?.1, full?.1, shown)
                    }
                }
            }
        }
        XCTAssertNotNil(YAMLDocument.flowDepthExceeded(dashes, limit: 64, file: "f"), "70 leading dashes are too deep")
    }

    func testStrictUTF8AcceptsExactlyWhatStringValidatingAccepts() {
        let samples: [[UInt8]] = [[], Array("plain".utf8), Array("\u{E9}\u{1F389}\u{FFFD}".utf8), [0x41, 0x00, 0x42],
                                  [0xEF, 0xBB, 0xBF, 0x41], [0xFF], [0xC3], [0xC3, 0x28], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
                                  [0xF0, 0x9F, 0x98], [0xF0, 0x9F, 0x98, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF],
                                  [0x41, 0xEF, 0xBF, 0xBD, 0xF0, 0x9F], [0x80], [0xE2, 0x82, 0xAC, 0xE2, 0x82]]
        for bytes in samples {
            let strict = bytes.withUnsafeBufferPointer { StrictUTF8.decode($0) }
            XCTAssertEqual(strict, String(validating: bytes, as: UTF8.self), "\(bytes)")
        }
    }
}
