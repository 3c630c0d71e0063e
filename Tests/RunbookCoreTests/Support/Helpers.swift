import Foundation
import XCTest
@testable import RunbookCore

/// Loads YAML text as if it were the file `path`.
func loadRunbook(_ yaml: String, path: String = "t.yaml", file: StaticString = #filePath, line: UInt = #line) -> RunbookLoader.Loaded {
    RunbookLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: path))
}

/// Diagnostics rendered as the CLI prints them (no caret), one string each, sorted.
func render(_ diags: [Diagnostic]) -> [String] {
    DiagnosticRenderer.text(diags.sortedForOutput(), sources: [:], caret: false, color: false)
        .split(separator: "\n").map(String.init)
}

/// Only the `file:line:col: error: message [rule]` lines, without notes.
func headlines(_ diags: [Diagnostic]) -> [String] {
    diags.sortedForOutput().map(\.description)
}

/// Runs one rule over `yaml`; fails the test if the YAML itself does not load cleanly.
func check(_ rule: any Rule, _ yaml: String, path: String = "t.yaml", runbooks: [Runbook] = [], profile: Profile? = nil,
           catalog: ActionCatalog = FakeCatalog.catalog, file: StaticString = #filePath, line: UInt = #line) -> [Diagnostic] {
    let loaded = loadRunbook(yaml, path: path)
    XCTAssertEqual(loaded.diagnostics.map(\.description), [], "fixture YAML should load cleanly", file: file, line: line)
    guard let rb = loaded.runbook else {
        XCTFail("runbook did not load", file: file, line: line)
        return []
    }
    var map: [String: Runbook] = [:]
    for r in runbooks { map[r.name] = r }
    return rule.check(rb, in: RuleContext(catalog: catalog, runbooks: map, profile: profile)).sortedForOutput()
}

/// The package root, found from this file's path (Tests/RunbookCoreTests/Support/Helpers.swift).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
