import Foundation
import XCTest

/// Every command's `--help`, root and subcommands (found from the help itself, so a new
/// subcommand without a golden file fails), equals its golden text in
/// Tests/CLITests/Fixtures/help. After an intended change: `UPDATE_GOLDEN=1` and review the diff.
final class HelpTests: XCTestCase {
    static let goldenDir = RunbookProcess.packageRoot.appendingPathComponent("Tests/CLITests/Fixtures/help")

    /// The names under `SUBCOMMANDS:` of a help text.
    static func subcommands(_ help: String) -> [String] {
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[section.upperBound...].split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            let name = line.dropFirst(2).prefix { $0 != " " }
            return name.isEmpty || name == "See" ? nil : String(name)
        }
    }

    func testEveryCommandsHelpMatchesItsGoldenText() throws {
        let update = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"
        var pending: [[String]] = [[]]
        var seen: [String] = []
        while let command = pending.popLast() {
            let r = try RunbookProcess.run(command + ["--help"])
            XCTAssertEqual(r.status, 0, "runbook \(command.joined(separator: " ")) --help: \(r.stderr)")
            XCTAssertEqual(r.stderr, "")
            let name = command.isEmpty ? "runbook" : command.joined(separator: "-")
            seen.append(name)
            let golden = Self.goldenDir.appendingPathComponent("\(name).txt")
            if update {
                try FileManager.default.createDirectory(at: Self.goldenDir, withIntermediateDirectories: true)
                try Data(r.stdout.utf8).write(to: golden)
            }
            let expected = try? String(contentsOf: golden, encoding: .utf8)
            XCTAssertEqual(r.stdout, expected ?? "<no \(golden.lastPathComponent)>", "runbook \(command.joined(separator: " ")) --help differs from \(golden.lastPathComponent)")
            pending += Self.subcommands(r.stdout).filter { $0 != "help" }.map { command + [$0] }
        }
        XCTAssertGreaterThanOrEqual(seen.count, 13, "root, 11 subcommands and audit verify: \(seen)")
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.goldenDir.path).filter { $0.hasSuffix(".txt") }
        XCTAssertEqual(Set(files), Set(seen.map { "\($0).txt" }), "golden files for commands that no longer exist")
    }
}
