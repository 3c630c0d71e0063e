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
        let prepared = try selection.prepare(allowMissingParams: true)
        let planner = Planner(catalog: prepared.workspace.catalog, profile: prepared.profile, stateDir: "$STATE_DIR",
                              graph: prepared.graph)
        let params = DocsRenderer.placeholderParams(prepared.runbook, given: prepared.params)
        let plan = planner.plan(prepared.runbook, params: params, runID: "<run-id>")
        let page = DocsRenderer.markdown(prepared.runbook, plan: plan)
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
