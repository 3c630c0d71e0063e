import ArgumentParser

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schema", abstract: "Not implemented yet.")

    func run() async throws {
        throw ValidationError("'runbook schema' is not implemented yet")
    }
}
