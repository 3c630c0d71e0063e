import ArgumentParser
import Foundation
import RunbookCore
import RunbookEngine

/// `runbook resume RUN_ID`: continues a failed or interrupted run from the first
/// step that is not done, with the same params and the outputs of the steps done before.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a failed or interrupted run.",
        discussion: """
        Steps that completed (and were not rolled back) are not run again; their outputs are \
        reused. Refuses when the runbook, a runbook it runs through runbook.run, or the profile \
        changed since the run (their sha256 differ) unless --force. Process groups a killed run left behind are stopped first.

        Exit codes: \(RunbookExitCode.summary)
        """
    )

    @Argument(help: "The run id (see runbook history).")
    var runID: String

    @Flag(help: "Resume even if the runbook, a runbook it runs, or the profile changed, or a rollback failed.")
    var force = false

    @OptionGroup var location: WorkspaceOptions

    @OptionGroup var session: RunSessionOptions

    func run() async throws {
        let state = StateDirectory.resolve(session.stateDir)
        guard RunID.isValid(runID) else { throw ValidationError("\"\(runID)\" is not a run id (like 20261126T130501Z-ab12cd)") }
        let journal: RunJournal
        do { journal = try JournalStore.load(path: state.journalPath(runID)) } catch {
            Refusal.exit("no run \(runID) in \(state.root): \(error)", .refused)
        }
        switch journal.status {
        case .succeeded: Refusal.exit("run \(runID) succeeded; there is nothing to resume", .refused)
        case .completedWithFailures:
            Refusal.exit("run \(runID) completed; the steps that failed under on_failure: continue are not retried by resume; start a new run for them", .refused)
        case .refused: Refusal.exit("run \(runID) was refused before it started; start a new run", .refused)
        case .rollbackFailed where !force:
            Refusal.exit("run \(runID) failed and a rollback failed too; inspect it (runbook show \(runID)) and pass --force to resume anyway", .refused)
        default: break
        }
        let workspace = Workspace(runbooksDir: location.runbooksDir ?? journal.runbooksDirectory)
        let loaded = workspace.load(runbook: journal.runbookPath, profile: journal.profilePath)
        let (rb, graph) = try loaded.validated()
        let digest = PlanDigest.compute(graph: graph, params: journal.params, profile: loaded.profile)
        var changed: [String] = []
        if rb.digest != journal.runbookDigest { changed.append("runbook \(journal.runbookPath)") }
        if let p = journal.profilePath, loaded.profile?.digest != journal.profileDigest { changed.append("profile \(p)") }
        // The plan digest also covers every runbook the graph reaches (rollback-only ones too):
        // with the runbook and profile unchanged, a difference can only come from one of those.
        if changed.isEmpty && digest != journal.planDigest { changed.append("a runbook that \(rb.name) runs through runbook.run") }
        if !changed.isEmpty && !force {
            Refusal.exit("\(changed.joined(separator: " and ")) changed since run \(runID) started (sha256 differs); review the change and pass --force to resume with it", .refused)
        }
        let request = RunRequest(runbook: rb, profile: loaded.profile, params: journal.params,
                                 runbooksDirectory: workspace.runbooksDir, graph: graph,
                                 stateDirectory: state, planDigest: digest, options: try session.runOptions(force: force),
                                 resuming: journal)
        try await RunLauncher.launch(request, format: session.format, metricsFile: session.metricsFile)
    }
}
