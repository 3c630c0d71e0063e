import ArgumentParser

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Not implemented yet.")

    func run() async throws {
        throw ValidationError("'runbook show' is not implemented yet")
    }
}
