import Foundation
import XCTest
@testable import RunbookCore

/// actionlint-style golden files: every `Tests/Fixtures/err/NAME.yaml` must produce exactly
/// `NAME.out` (text format, no caret), and every `Tests/Fixtures/ok/*.yaml` must validate clean.
/// Fixtures use the test-only catalog so they do not change when real actions do.
/// To regenerate after an intended change: `UPDATE_GOLDEN=1 swift test --filter GoldenFixtureTests`, then review the diff.
final class GoldenFixtureTests: XCTestCase {
    override func setUp() {
        // Paths in .out files are relative to the package root, as people run the tool.
        precondition(FileManager.default.changeCurrentDirectoryPath(packageRoot.path), "cannot cd to \(packageRoot.path)")
    }

    /// All error fixtures validated in one run, as `runbook validate Tests/Fixtures/err` does,
    /// then rendered file by file.
    static let errorOutputs: [String: String] = {
        precondition(FileManager.default.changeCurrentDirectoryPath(packageRoot.path), "cannot cd to \(packageRoot.path)")
        let files = BatchValidation.yamlFiles(in: "Tests/Fixtures/err")
        let result = BatchValidation.run(files: files, catalog: FakeCatalog.catalog)
        var out: [String: String] = [:]
        for file in files {
            let mine = result.diagnostics.filter { $0.location?.file == file }
            out[file] = DiagnosticRenderer.text(mine, sources: result.sources, caret: false, color: false)
        }
        return out
    }()

    func testErrorFixturesMatchTheirGoldenOutput() throws {
        let outputs = Self.errorOutputs
        XCTAssertGreaterThan(outputs.count, 20)
        let update = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"
        for (file, actual) in outputs.sorted(by: { $0.key < $1.key }) {
            let expectedPath = String(file.dropLast(".yaml".count)) + ".out"
            if update { try actual.write(toFile: expectedPath, atomically: true, encoding: .utf8) }
            let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
            XCTAssertEqual(actual, expected, "\(file) differs from \(expectedPath)")
            XCTAssertFalse(actual.isEmpty, "\(file) should produce diagnostics")
        }
    }

    func testEveryRuleHasAnErrorFixtureThatTriggersIt() throws {
        let loaderRules = ["yaml-syntax", "duplicate-key", "yaml-too-deep", "yaml-too-large", "unknown-key", "type",
                           "missing-key", "enum", "range", "param-type", "secret-source", "target-kind", "literal-secret", "target-via", "target-value", "missing-target"]
        let rules = Set(Validator.rules.map(\.name.rawValue) + loaderRules)
        for rule in rules.sorted() {
            let candidates = Self.errorOutputs.filter { $0.key.hasPrefix("Tests/Fixtures/err/\(rule)") }
            XCTAssertFalse(candidates.isEmpty, "no fixture Tests/Fixtures/err/\(rule).yaml for rule \(rule)")
            XCTAssertTrue(candidates.values.contains { $0.contains("[\(rule)]") }, "fixtures for \(rule) do not report [\(rule)]")
        }
    }

    func testOKFixturesValidateClean() {
        let files = BatchValidation.yamlFiles(in: "Tests/Fixtures/ok")
        XCTAssertGreaterThanOrEqual(files.count, 3)
        let result = BatchValidation.run(files: files, catalog: FakeCatalog.catalog)
        XCTAssertEqual(render(result.diagnostics), [])
        XCTAssertEqual(result.profiles, 1)
        XCTAssertEqual(result.runbooks, files.count - 1)
    }
}
