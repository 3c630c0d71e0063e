import ArgumentParser

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Not implemented yet.")

    func run() async throws {
        throw ValidationError("'runbook audit' is not implemented yet")
    }
}
