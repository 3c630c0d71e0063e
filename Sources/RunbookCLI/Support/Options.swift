import ArgumentParser
import Foundation
import RunbookCore

/// Which runbook, with which params, against which profile: shared by plan, run and docs.
struct SelectionOptions: ParsableArguments {
    @Argument(help: "The runbook: a name in the runbooks directory, or a path to a .yaml file.")
    var runbook: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A param value, as NAME=VALUE (lists comma-separated). Repeatable.", valueName: "NAME=VALUE"))
    var params: [String] = []

    @Option(help: ArgumentHelp("A profile name (profiles/NAME.yaml) or a file that binds targets to endpoints.", valueName: "NAME|FILE"))
    var profile: String?

    @Option(help: ArgumentHelp("Directory holding the runbooks (default: $RUNBOOK_DIR or ./runbooks).", valueName: "DIR"))
    var runbooksDir: String?

    /// `--param` values by name. Errors are usage errors: the operator typed them.
    func paramValues() throws -> [String: String] {
        var out: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                throw ValidationError("--param \"\(p)\" must be NAME=VALUE")
            }
            let name = String(p[..<eq])
            if out[name] != nil { throw ValidationError("--param \(name) given twice") }
            out[name] = String(p[p.index(after: eq)...])
        }
        return out
    }

    var workspace: Workspace { Workspace(runbooksDir: runbooksDir) }

    /// A validated runbook, its profile and bound params, ready to plan or run.
    struct Prepared {
        var workspace: Workspace
        var runbook: Runbook
        var profile: Profile?
        var params: [String: Value]
        var sources: [String: String]
        /// Every runbook in the directory by name, for `runbook.run`.
        var siblings: [String: Runbook]
    }

    /// Loads and validates the runbook and profile and binds `--param`s. Any error is
    /// reported (with positions) and exits with `invalid`: nothing runs on bad input.
    /// - Parameter allowMissingParams: docs render required params as placeholders.
    func prepare(allowMissingParams: Bool = false) throws -> Prepared {
        let workspace = self.workspace
        let loaded = workspace.load(runbook: runbook, profile: profile)
        guard let rb = loaded.runbook, !loaded.diagnostics.hasErrors else {
            report(loaded.diagnostics, sources: loaded.sources)
            throw RunbookExitCode.invalid.exitCode
        }
        let (params, diagnostics) = ParamBinder.bind(rb, given: try paramValues())
        var relevant = allowMissingParams ? diagnostics.filter { $0.rule != "missing-param" } : diagnostics
        if !relevant.hasErrors { relevant += RunTargetCheck.check(rb, params: params, profile: loaded.profile, catalog: workspace.catalog) }
        if relevant.hasErrors {
            report(relevant, sources: loaded.sources)
            throw RunbookExitCode.invalid.exitCode
        }
        return Prepared(workspace: workspace, runbook: rb, profile: loaded.profile, params: params,
                        sources: loaded.sources, siblings: loaded.siblings)
    }
}

/// Output format of plan-like commands.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
}

/// The default state directory: `$XDG_STATE_HOME/runbook`, else `~/.local/state/runbook`.
func defaultStateDir() -> String {
    let env = ProcessInfo.processInfo.environment
    if let xdg = env["XDG_STATE_HOME"], !xdg.isEmpty { return (xdg as NSString).appendingPathComponent("runbook") }
    return (NSHomeDirectory() as NSString).appendingPathComponent(".local/state/runbook")
}

/// Prints diagnostics to stderr, with the source line and a caret on a terminal
/// (coloured unless NO_COLOR is set), as `validate` does.
func report(_ diagnostics: [Diagnostic], sources: [String: String] = [:]) {
    guard !diagnostics.isEmpty else { return }
    let tty = isatty(STDERR_FILENO) == 1
    let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    let text = DiagnosticRenderer.text(diagnostics, sources: sources, caret: tty, color: tty && !noColor)
    FileHandle.standardError.write(Data(text.utf8))
}
