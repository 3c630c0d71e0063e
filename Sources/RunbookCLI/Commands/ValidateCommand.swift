import ArgumentParser
import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine

/// `runbook validate`: checks runbooks and profiles and reports every problem, sorted.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check runbooks and profiles; report every problem as file:line:col: error: message [rule].",
        discussion: """
        With no PATH, validates the runbooks directory (--runbooks-dir, $RUNBOOK_DIR or ./runbooks) \
        and the profiles directory beside it. A PATH may be a file or a directory of *.yaml files; \
        a file whose top-level mapping has `profile:` is checked as a profile, any other as a runbook.

        Formats:
          text  one line per problem: file:line:col: severity: message [rule], then `note:` lines. \
        On a terminal the source line and a ^~~~ caret are shown, in colour unless NO_COLOR is set.
          json  {"valid": bool, "errors": N, "warnings": N, "diagnostics": [{"file", "line", "column", \
        "severity", "rule", "message", "notes"}]}; file, line and column are null for problems without a position.

        Exit codes: 0 every file is valid; 1 at least one error was found (\(RunbookExitCode.summary))
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "Runbook or profile files, or directories of them (default: the runbooks and profiles directories).")
    var paths: [String] = []

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @OptionGroup var location: WorkspaceOptions

    @Option(help: "Also check that this profile (NAME or FILE) binds every target the runbooks require, with the right kind.")
    var profile: String?

    @Flag(name: .customLong("list-rules"), help: "List every rule id a diagnostic can carry, with what it reports, and exit.")
    var listRules = false

    func run() async throws {
        if listRules {
            print(Self.ruleList(), terminator: "")
            return
        }
        let workspace = location.workspace
        var diags: [Diagnostic] = []
        var sources: [String: String] = [:]

        var targets = paths
        if targets.isEmpty {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: workspace.runbooksDir, isDirectory: &isDir), isDir.boolValue {
                targets.append(workspace.runbooksDir)
            } else {
                diags.append(.error(.io, "no runbooks directory \"\(workspace.runbooksDir)\"; pass files or directories, or --runbooks-dir DIR", at: nil))
            }
            if FileManager.default.fileExists(atPath: workspace.profilesDir, isDirectory: &isDir), isDir.boolValue {
                targets.append(workspace.profilesDir)
            }
        }

        var selected: Profile?
        if let profile {
            let loaded = workspace.loadProfile(profile)
            selected = loaded.profile
            diags += loaded.diagnostics
            sources.merge(loaded.sources) { a, _ in a }
        }

        let (files, missing) = BatchValidation.expand(targets)
        diags += missing
        let result = BatchValidation.run(files: files, catalog: workspace.catalog, targetKinds: workspace.targetKinds, profile: selected)
        diags = (diags + result.diagnostics).sortedForOutput()
        sources.merge(result.sources) { a, _ in a }

        switch format {
        case .json:
            print(DiagnosticRenderer.json(diags), terminator: "")
        case .text:
            let tty = isatty(STDOUT_FILENO) == 1
            let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
            print(DiagnosticRenderer.text(diags, sources: sources, caret: tty, color: tty && !noColor), terminator: "")
            FileHandle.standardError.write(Data((Self.summary(diags, result) + "\n").utf8))
        }
        if diags.hasErrors { throw ExitCode(RunbookExitCode.invalid.rawValue) }
    }

    /// `ID  summary` per rule, ids padded to one column, in `RuleID`'s order.
    static func ruleList() -> String {
        let width = RuleID.allCases.map(\.rawValue.count).max() ?? 0
        return RuleID.allCases.map { $0.rawValue.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary + "\n" }.joined()
    }

    static func summary(_ diags: [Diagnostic], _ result: BatchValidation.Result) -> String {
        let errors = diags.filter { $0.severity == .error }.count
        let files = "\(result.files) file\(result.files == 1 ? "" : "s") (\(result.runbooks) runbook\(result.runbooks == 1 ? "" : "s"), \(result.profiles) profile\(result.profiles == 1 ? "" : "s"))"
        if errors == 0 { return "\(files): valid" }
        return "\(files): \(errors) error\(errors == 1 ? "" : "s")"
    }
}
