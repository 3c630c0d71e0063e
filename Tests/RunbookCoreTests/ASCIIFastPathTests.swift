import XCTest
@testable import RunbookCore

/// `Duration` and `Template` parse ASCII text over bytes; the result must be exactly what
/// the general (Character / unicode scalar) parsers give.
final class ASCIIFastPathTests: XCTestCase {
    func testDurationASCIIParserAgreesWithTheGeneralOne() {
        let inputs = ["90", "90s", "500ms", "5m", "1h30m", "2d", " 30s ", "\t5m", "", " ", "s", "5", "5x", "5 m",
                      "1.5h", "1..5h", "h5", "5h3", "-5s", "-5", "1e3", "inf", "nan", "0x10", "5S", "5Ms", "30s\r\n",
                      "1h-2m", "3m.5s", "1_000s", "+5", "+5s", "10ms5s", "0", "0s", ".5s", "5.s", "mm", "5mss"]
        for text in inputs {
            guard let fast = Duration.parseASCII(text) else { return XCTFail("\(text.debugDescription) is ASCII") }
            XCTAssertEqual(fast, Duration.parseCharacters(text), text.debugDescription)
        }
        XCTAssertNil(Duration.parseASCII("5\u{00A0}s") as Double??, "non-ASCII goes the general way")
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
}
