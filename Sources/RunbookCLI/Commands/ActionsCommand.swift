import ArgumentParser
import RunbookActions
import RunbookCore

/// `runbook actions`: what a step can do, from the declarations themselves.
struct ActionsCommand: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, markdown }

    static let configuration = CommandConfiguration(
        commandName: "actions",
        abstract: "List every action and check with its inputs.",
        discussion: "The markdown form is committed as docs/actions.md; a test keeps it in step with the code."
    )

    @Option(help: "Output format: text or markdown.")
    var format: Format = .text

    func run() async throws {
        switch format {
        case .text: print(ActionReference.text(Registry.catalog), terminator: "")
        case .markdown: print(ActionReference.markdown(Registry.catalog), terminator: "")
        }
    }
}
