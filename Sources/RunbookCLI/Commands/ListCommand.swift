import ArgumentParser

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Not implemented yet.")

    func run() async throws {
        throw ValidationError("'runbook list' is not implemented yet")
    }
}
