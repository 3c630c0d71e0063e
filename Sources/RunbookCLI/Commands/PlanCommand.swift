import ArgumentParser
import Foundation
import RunbookCore

/// `runbook plan`: the dry run people review before an incident.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show exactly what a run would do, without doing any of it.",
        discussion: """
        Resolves params and loops, then prints every step: the argv of each process and its \
        transport (local or docker compose exec), the checks, which steps are destructive, and \
        the rollback plan. Secret values are never shown. Nothing is executed and no state changes.

        The plan digest covers the runbook (and every runbook it can reach, rollbacks included), the params and the profile. \
        Pass it to `runbook run --plan-digest` to refuse a run if anything changed since review.

        Exit codes: 0 planned; 1 invalid runbook, profile or params; 64 usage error.
        """
    )

    @OptionGroup var selection: SelectionOptions

    @Option(help: "Output format: text, json or markdown.")
    var format: PlanFormat = .text

    @Option(help: ArgumentHelp("State directory, shown in paths that depend on it.", valueName: "DIR"))
    var stateDir: String?

    @Option(help: ArgumentHelp("Plan as if the run started at this time (for ${run.started_at}); default now.", valueName: "TIMESTAMP"))
    var at: String?

    func run() async throws {
        let prepared = try selection.prepare()
        let planner = Planner(catalog: prepared.workspace.catalog, profile: prepared.profile, stateDir: stateDir ?? defaultStateDir(),
                              graph: prepared.graph)
        var startedAt = Date()
        if let at {
            guard let parsed = Timestamp.parse(at) else {
                throw ValidationError("--at \"\(at)\" is not a timestamp like 2024-01-15T03:00:00Z")
            }
            startedAt = parsed
        }
        let plan = planner.plan(prepared.runbook, params: prepared.params, startedAt: startedAt)
        let digest = PlanDigest.compute(graph: prepared.graph, params: prepared.params, profile: prepared.profile)
        switch format {
        case .text: print(PlanRenderer.text(plan, digest: digest), terminator: "")
        case .json: print(PlanRenderer.json(plan, digest: digest), terminator: "")
        case .markdown: print(PlanRenderer.markdown(plan, digest: digest), terminator: "")
        }
    }
}
