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

    @OptionGroup var selection: SelectionOptions

    @Option(name: .customLong("plan-digest"), help: "Refuse to start unless runbook, params and profile still give this digest (printed by runbook plan).")
    var planDigest: String?

    @OptionGroup var session: RunSessionOptions

    func run() async throws {
        let options = try session.runOptions()
        let prepared = try selection.prepare(requireProfile: true)
        // The runbooks validated are the ones digested and run: one graph, read once.
        let digest = PlanDigest.compute(graph: prepared.graph, params: prepared.params, profile: prepared.profile)
        if let expected = planDigest, !PlanDigest.matches(expected, digest) {
            Refusal.exit("plan digest mismatch: expected \(expected), but runbook, params and profile now give \(digest); review the plan again", .refused)
        }
        let request = RunRequest(runbook: prepared.runbook, profile: prepared.profile, params: prepared.params,
                                 runbooksDirectory: prepared.workspace.runbooksDir, graph: prepared.graph,
                                 stateDirectory: StateDirectory.resolve(session.stateDir), planDigest: digest, options: options)
        try await RunLauncher.launch(request, format: session.format, metricsFile: session.metricsFile)
    }
}
