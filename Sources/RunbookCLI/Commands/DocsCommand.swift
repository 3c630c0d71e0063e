import ArgumentParser

struct DocsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "docs", abstract: "Not implemented yet.")

    func run() async throws {
        throw ValidationError("'runbook docs' is not implemented yet")
    }
}
