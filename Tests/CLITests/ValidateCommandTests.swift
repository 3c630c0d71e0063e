import Foundation
import XCTest

/// `runbook validate` end to end: exit codes, text and JSON output, help, hostile input.
final class ValidateCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try CLI.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    let valid = """
    runbook: check-backups
    summary: Look at the backups by hand
    params:
      dir: {type: path, default: /var/backups}
    steps:
      - id: look
        manual: ["Open ${params.dir}", "Check the newest file is from today"]

    """

    let validProfile = """
    profile: local
    targets:
      db: {postgres: {via: local, host: 127.0.0.1}}

    """

    func testValidDirectoriesExitZeroAndPrintNothingOnStdout() throws {
        try CLI.write(valid, to: dir.appendingPathComponent("runbooks/check-backups.yaml"))
        try CLI.write(validProfile, to: dir.appendingPathComponent("profiles/local.yaml"))
        let r = try CLI.run(["validate"], in: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "2 files (1 runbook, 1 profile): valid\n")
    }

    func testEveryProblemInEveryFileIsReportedSortedAndExitIsOne() throws {
        try CLI.write(valid.replacingOccurrences(of: "runbook: check-backups", with: "runbook: check-backup")
                        .replacingOccurrences(of: "${params.dir}", with: "${params.dri}"),
                      to: dir.appendingPathComponent("runbooks/check-backups.yaml"))
        try CLI.write("""
        runbook: b
        summary: s
        steps:
          - id: x
            action: nope.nope
          - id: x
            manual: [y]

        """, to: dir.appendingPathComponent("runbooks/b.yaml"))
        try CLI.write(validProfile.replacingOccurrences(of: "postgres:", with: "postgress:"), to: dir.appendingPathComponent("profiles/local.yaml"))
        let r = try CLI.run(["validate", "--runbooks-dir", "runbooks"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(r.crashed)
        let lines = r.stdout.split(separator: "\n").filter { !$0.hasPrefix("note:") }.map(String.init)
        XCTAssertEqual(lines, [
            #"runbooks/b.yaml:5:13: error: unknown action "nope.nope" [unknown-action]"#,
            #"runbooks/b.yaml:6:9: error: duplicate step id "x" [duplicate-step-id]"#,
            #"runbooks/check-backups.yaml:1:10: error: runbook is named "check-backup" but its file is "check-backups.yaml"; the name must equal the file name [name-mismatch]"#,
            #"runbooks/check-backups.yaml:7:20: error: undefined param "dri"; did you mean "dir"? [undefined-reference]"#,
            #"profiles/local.yaml:3:8: error: unknown target kind "postgress"; did you mean "postgres"? [target-kind]"#,
        ].sorted())
        XCTAssertTrue(r.stdout.contains("note: first defined at runbooks/b.yaml:4:9\n"), r.stdout)
        XCTAssertEqual(r.stderr, "3 files (2 runbooks, 1 profile): 5 errors\n")
        XCTAssertFalse(r.stdout.contains("^"), "no caret lines when stdout is not a terminal")
    }

    func testPathsMayBeFilesOrDirectoriesAndProfilesAreRecognisedByTheirKey() throws {
        try CLI.write(valid, to: dir.appendingPathComponent("a/check-backups.yaml"))
        try CLI.write(validProfile.replacingOccurrences(of: "via: local", with: "via: telnet"), to: dir.appendingPathComponent("b/local.yaml"))
        let r = try CLI.run(["validate", "a", "b/local.yaml"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, #"b/local.yaml:3:24: error: "via" must be one of local, compose, ssh, got "telnet" [enum]"# + "\n")
    }

    func testMissingPathsAndMissingRunbooksDirectoryAreErrors() throws {
        var r = try CLI.run(["validate", "nope.yaml"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "nope.yaml:1:1: error: no such file or directory [io]\n")
        r = try CLI.run(["validate"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.hasPrefix(#"error: no runbooks directory "runbooks""#), r.stdout)
    }

    func testListRulesShowsEveryRuleIdOnceWithItsSummary() throws {
        let r = try CLI.run(["validate", "--list-rules"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let ids = lines.map { String($0.prefix { $0 != " " }) }
        XCTAssertEqual(Set(ids).count, ids.count, "an id is listed twice")
        for id in ["missing-key", "unknown-key", "target-kind", "target-via", "literal-secret", "duplicate-step-id", "secret-unavailable"] {
            XCTAssertTrue(ids.contains(id), "\(id) is not listed")
        }
        XCTAssertTrue(lines.contains("unknown-key          A key the format does not have (with the closest valid key)."), r.stdout)
        // The same list, as a table, is generated into docs/format.md.
        let format = try String(contentsOf: CLI.packageRoot.appendingPathComponent("docs/format.md"), encoding: .utf8)
        for id in ids { XCTAssertTrue(format.contains("| `\(id)` |"), "docs/format.md does not list \(id)") }
    }

    func testJSONFormat() throws {
        try CLI.write(valid.replacingOccurrences(of: "${params.dir}", with: "${params.dri}"), to: dir.appendingPathComponent("runbooks/check-backups.yaml"))
        let r = try CLI.run(["validate", "--format", "json", "runbooks"], in: dir)
        XCTAssertEqual(r.status, 1)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        XCTAssertEqual(object["valid"] as? Bool, false)
        XCTAssertEqual(object["errors"] as? Int, 1)
        let d = try XCTUnwrap((object["diagnostics"] as? [[String: Any]])?.first)
        XCTAssertEqual(d["file"] as? String, "runbooks/check-backups.yaml")
        XCTAssertEqual(d["line"] as? Int, 7)
        XCTAssertEqual(d["column"] as? Int, 20)
        XCTAssertEqual(d["severity"] as? String, "error")
        XCTAssertEqual(d["rule"] as? String, "undefined-reference")
        XCTAssertEqual(d["message"] as? String, #"undefined param "dri"; did you mean "dir"?"#)
        XCTAssertEqual(d["notes"] as? [String], ["params: dir"])

        try CLI.write(valid, to: dir.appendingPathComponent("runbooks/check-backups.yaml"))
        let ok = try CLI.run(["validate", "--format", "json", "runbooks"], in: dir)
        XCTAssertEqual(ok.status, 0)
        let okObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(okObject["valid"] as? Bool, true)
        XCTAssertEqual((okObject["diagnostics"] as? [Any])?.count, 0)
    }

    func testHelpDocumentsExitCodesAndFormats() throws {
        let r = try CLI.run(["validate", "--help"])
        XCTAssertEqual(r.status, 0)
        for needle in ["Exit codes: 0 every file is valid; 1 at least one error", "text", "json", "--format", "--runbooks-dir", "NO_COLOR"] {
            XCTAssertTrue(r.stdout.contains(needle), "help lacks \(needle):\n\(r.stdout)")
        }
    }

    func testBadUsageIsAUsageError() throws {
        let r = try CLI.run(["validate", "--format", "xml"])
        XCTAssertEqual(r.status, 64)
        XCTAssertFalse(r.crashed)
    }

    func testWithAProfileMissingTargetsAreReported() throws {
        try CLI.write(valid.replacingOccurrences(of: "steps:", with: "requires: [db, media]\nsteps:"), to: dir.appendingPathComponent("runbooks/check-backups.yaml"))
        try CLI.write(validProfile, to: dir.appendingPathComponent("profiles/local.yaml"))
        let r = try CLI.run(["validate", "--profile", "local", "runbooks"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout.split(separator: "\n").first.map(String.init),
                       #"runbooks/check-backups.yaml:5:16: error: profile "local" has no target "media" [missing-target]"#)
    }

    // MARK: - Hostile input: each must exit 1 with a positioned diagnostic, never crash.

    func assertRejected(_ name: String, _ data: Data, rule: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = dir.appendingPathComponent(name)
        try data.write(to: path)
        let r = try CLI.run(["validate", name], in: dir)
        XCTAssertFalse(r.crashed, "crashed: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr, file: file, line: line)
        let first = r.stdout.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(first.range(of: #"^\#(name):[0-9]+:[0-9]+: error: .* \[\#(rule)\]$"#, options: .regularExpression) != nil,
                      "unexpected output: \(r.stdout.prefix(500))", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error"), file: file, line: line)
    }

    func testBinaryGarbage() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try assertRejected("garbage.yaml", Data(bytes + [0]), rule: "yaml-syntax")
        try assertRejected("latin1.yaml", Data([0x61, 0x3a, 0x20, 0xe9, 0x0a]), rule: "yaml-syntax")
    }

    func testTenMegabyteFile() throws {
        let line = Data("# padding padding padding padding padding padding padding padding padding padding\n".utf8)
        var data = Data()
        while data.count < 10 << 20 { data.append(line) }
        try assertRejected("big.yaml", data, rule: "file-too-large")
    }

    func testDeepFlowNesting() throws {
        try assertRejected("deep.yaml", Data(String(repeating: "[", count: 100_000).utf8), rule: "yaml-too-deep")
    }

    func testDeepBlockSequenceOnOneLine() throws {
        try assertRejected("dashes.yaml", Data(String(repeating: "- ", count: 100_000).utf8), rule: "yaml-too-deep")
    }

    func testBillionLaughs() throws {
        var yaml = "runbook: laughs\nsummary: s\na: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        let names = Array("abcdefghi")
        for i in 1..<names.count {
            yaml += "\(names[i]): &\(names[i]) [" + Array(repeating: "*\(names[i - 1])", count: 9).joined(separator: ", ") + "]\n"
        }
        yaml += "steps: *i\n"
        try assertRejected("laughs.yaml", Data(yaml.utf8), rule: "yaml-too-large")
    }
}

/// On a terminal the source line and a caret are shown, in colour unless NO_COLOR is set.
/// `script` (util-linux) gives the binary a real pseudo-terminal as stdout.
final class ValidateTerminalTests: XCTestCase {
    func runOnTerminal(_ command: String, noColor: Bool) throws -> String {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try CLI.write("runbook: t\nsummary: s\nsteps:\n  - id: a\n    action: nope.nope\n", to: dir.appendingPathComponent("t.yaml"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", "\(CLI.binary.path) \(command) t.yaml", "/dev/null"]
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        if noColor { env["NO_COLOR"] = "1" } else { env.removeValue(forKey: "NO_COLOR") }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    func testCaretOnATerminalWithoutColourUnderNO_COLOR() throws {
        let out = try runOnTerminal("validate", noColor: true)
        XCTAssertTrue(out.contains("t.yaml:5:13: error: unknown action \"nope.nope\" [unknown-action]\n    action: nope.nope\n            ^~~~~~~~~\n"), out)
        XCTAssertFalse(out.contains("\u{1B}["), "NO_COLOR must disable colour")
    }

    func testColourOnATerminal() throws {
        let out = try runOnTerminal("validate", noColor: false)
        XCTAssertTrue(out.contains("\u{1B}[1;31merror:\u{1B}[0m"), out)
        XCTAssertTrue(out.contains("^~~~~~~~~"), out)
    }
}
