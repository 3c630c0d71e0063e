import ArgumentParser
import Foundation
import RunbookCore
import RunbookEngine

/// `runbook run NAME`: validate, then execute for real, with rollback, journal,
/// audit trail and locks.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a runbook.",
        discussion: """
        The runbook and profile are validated first; with any error nothing runs (exit 1). \
        Destructive steps ask you to type the database or target name; without a terminal \
        they need --yes. Ctrl-C or SIGTERM stops the running step's processes, then asks \
        (on a terminal) or follows --on-interrupt.

        Exit codes: \(RunbookExitCode.summary)
        """
    )

    @Argument(help: "Runbook name (runbooks/NAME.yaml) or path to a runbook file.")
    var runbook: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A param as NAME=VALUE (repeatable; lists comma-separated).", valueName: "NAME=VALUE"))
    var params: [String] = []

    @Option(help: "Profile name (profiles/NAME.yaml) or path: binds the targets the runbook requires.")
    var profile: String?

    @Option(name: .customLong("plan-digest"), help: "Refuse to start unless runbook, params and profile still give this digest (printed by runbook plan).")
    var planDigest: String?

    @OptionGroup var session: RunSessionOptions

    func run() async throws {
        var given: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                throw ValidationError("--param \"\(p)\" must be NAME=VALUE")
            }
            let name = String(p[..<eq])
            guard given[name] == nil else { throw ValidationError("--param \(name) given twice") }
            given[name] = String(p[p.index(after: eq)...])
        }
        let options = try session.runOptions()
        let workspace = Workspace(runbooksDir: session.runbooksDir)
        let loaded = workspace.load(runbook: runbook, profile: profile)
        if loaded.diagnostics.hasErrors || loaded.runbook == nil {
            DiagnosticPrinter.print(loaded.diagnostics)
            throw RunbookExitCode.invalid.exitCode
        }
        guard let rb = loaded.runbook else { throw RunbookExitCode.invalid.exitCode }
        let (bound, bindDiagnostics) = ParamBinder.bind(rb, given: given)
        let paramDiagnostics = bindDiagnostics.hasErrors ? bindDiagnostics
            : RunTargetCheck.check(rb, params: bound, profile: loaded.profile, catalog: workspace.catalog)
        if paramDiagnostics.hasErrors {
            DiagnosticPrinter.print(paramDiagnostics)
            throw RunbookExitCode.invalid.exitCode
        }
        if !rb.requires.isEmpty && loaded.profile == nil {
            DiagnosticPrinter.print([.error("missing-profile", "runbook \"\(rb.name)\" requires targets \(rb.requires.map(\.name).joined(separator: ", ")); pass --profile NAME",
                                            at: rb.requires.first?.location)])
            throw RunbookExitCode.invalid.exitCode
        }
        // The runbooks load() read to validate the calls: the digest and the run see the same files.
        let siblings = loaded.siblings
        let digest = PlanDigest.compute(runbook: rb, params: bound, profile: loaded.profile) { siblings[$0] }
        if let expected = planDigest, !PlanDigest.matches(expected, digest) {
            Refusal.exit("plan digest mismatch: expected \(expected), but runbook, params and profile now give \(digest); review the plan again", .refused)
        }
        let request = RunRequest(runbook: rb, profile: loaded.profile, params: bound, runbooksDirectory: workspace.runbooksDir,
                                 siblings: siblings, stateDirectory: StateDirectory.resolve(session.stateDir),
                                 planDigest: digest, options: options)
        try await RunLauncher.launch(request, format: session.format)
    }
}
