import ArgumentParser
import Foundation
import RunbookCore
import RunbookEngine

/// Where the runbooks are: the one option every command that reads runbooks shares
/// (through `SelectionOptions` for plan, run and docs; directly for validate and resume).
struct WorkspaceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory holding the runbooks (default: $RUNBOOK_DIR or ./runbooks); profiles are read from profiles/ beside it.", valueName: "DIR"))
    var runbooksDir: String?

    var workspace: Workspace { Workspace(runbooksDir: runbooksDir) }
}

/// Which runbook, with which params, against which profile: shared by plan, run and docs.
struct SelectionOptions: ParsableArguments {
    @Argument(help: "The runbook: a name in the runbooks directory, or a path to a .yaml file.")
    var runbook: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A param value, as NAME=VALUE (lists comma-separated). Repeatable.", valueName: "NAME=VALUE"))
    var params: [String] = []

    @Option(help: ArgumentHelp("A profile name (profiles/NAME.yaml) or a file that binds targets to endpoints.", valueName: "NAME|FILE"))
    var profile: String?

    @OptionGroup var location: WorkspaceOptions

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

    var workspace: Workspace { location.workspace }

    /// A validated runbook, its profile and bound params, ready to plan or run.
    struct Prepared {
        var workspace: Workspace
        var runbook: Runbook
        var profile: Profile?
        var params: [String: Value]
        var sources: [String: String]
        /// The runbook and every runbook it can reach, all validated.
        var graph: RunbookGraph
    }

    /// Loads and validates the runbook and profile and binds `--param`s. Any error is
    /// reported (with positions) and exits with `invalid`: nothing runs on bad input.
    /// - Parameter allowMissingParams: docs render required params as placeholders.
    /// - Parameter requireProfile: a run needs the profile that binds the targets its runbooks require.
    func prepare(allowMissingParams: Bool = false, requireProfile: Bool = false) throws -> Prepared {
        let workspace = self.workspace
        let loaded = workspace.load(runbook: runbook, profile: profile)
        let (rb, graph) = try loaded.validated()
        let (params, diagnostics) = ParamBinder.bind(rb, given: try paramValues())
        var relevant = allowMissingParams ? diagnostics.filter { $0.rule != RuleID.missingParam.rawValue } : diagnostics
        if !relevant.hasErrors { relevant += RunTargetCheck.check(rb, params: params, profile: loaded.profile, catalog: workspace.catalog) }
        if !relevant.hasErrors { relevant += InputMinimumCheck.check(rb, params: params, catalog: workspace.catalog) }
        if relevant.hasErrors {
            report(relevant, sources: loaded.sources)
            throw RunbookExitCode.invalid.exitCode
        }
        if requireProfile, loaded.profile == nil, let member = graph.members.first(where: { !$0.requires.isEmpty }) {
            report([.error(.missingProfile, "runbook \"\(member.name)\" requires targets \(member.requires.map(\.name).joined(separator: ", ")); pass --profile NAME",
                           at: member.requires.first?.location)], sources: loaded.sources)
            throw RunbookExitCode.invalid.exitCode
        }
        return Prepared(workspace: workspace, runbook: rb, profile: loaded.profile, params: params,
                        sources: loaded.sources, graph: graph)
    }
}

extension Workspace.Loaded {
    /// The runbook and its call graph, or every problem reported (with carets on a terminal)
    /// and exit `invalid`: nothing runs, nothing is planned, on bad input anywhere in the graph.
    func validated() throws -> (Runbook, RunbookGraph) {
        guard let runbook, let graph, !diagnostics.hasErrors else {
            report(diagnostics, sources: sources)
            throw RunbookExitCode.invalid.exitCode
        }
        return (runbook, graph)
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
