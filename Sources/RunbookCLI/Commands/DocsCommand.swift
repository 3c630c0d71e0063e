import ArgumentParser
import Foundation
import RunbookCore

/// `runbook docs`: the runbook as a page a person could follow by hand.
struct DocsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "Render a runbook as a Markdown procedure a person could follow by hand.",
        discussion: """
        Shows the purpose, a parameters table, each step with its commands, checks and rollback, \
        and the checklists as `- [ ]` items. Params without a value appear as <name>. \
        With --profile the commands show that profile's endpoints.

        Exit codes: 0 rendered; 1 invalid runbook or profile; 64 usage error.
        """
    )

    @OptionGroup var selection: SelectionOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the page to this file instead of standard output.", valueName: "FILE"))
    var output: String?

    func run() async throws {
        let workspace = selection.workspace
        let loaded = workspace.load(runbook: selection.runbook, profile: selection.profile)
        guard let runbook = loaded.runbook, !loaded.diagnostics.hasErrors else {
            report(loaded.diagnostics, sources: loaded.sources)
            throw RunbookExitCode.invalid.exitCode
        }
        let given = try selection.paramValues()
        let (bound, diagnostics) = ParamBinder.bind(runbook, given: given)
        let unrelated = diagnostics.filter { $0.rule != "missing-param" }
        if unrelated.hasErrors {
            report(unrelated, sources: loaded.sources)
            throw RunbookExitCode.invalid.exitCode
        }
        let siblings = workspace.siblings()
        let planner = Planner(catalog: workspace.catalog, profile: loaded.profile, stateDir: "$STATE_DIR",
                              runbookNamed: { siblings[$0] })
        let plan = planner.plan(runbook, params: DocsRenderer.placeholderParams(runbook, given: bound), runID: "<run-id>")
        let page = DocsRenderer.markdown(runbook, plan: plan)
        if let output {
            do {
                try page.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            print(page, terminator: "")
        }
    }
}
