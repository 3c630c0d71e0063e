import ArgumentParser

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Not implemented yet.")

    func run() async throws {
        throw ValidationError("'runbook resume' is not implemented yet")
    }
}
