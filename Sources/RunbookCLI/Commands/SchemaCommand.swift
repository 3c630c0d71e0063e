import ArgumentParser
import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine

/// `runbook schema`: prints the JSON Schema generated from the action declarations.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (2020-12) for runbooks or profiles.",
        discussion: """
        Generated from the same declarations the validator uses, so editors complete and check \
        exactly what `runbook validate` accepts. Start a runbook with
          # yaml-language-server: $schema=../schemas/runbook.schema.json
        The committed copies are refreshed with:
          runbook schema runbook --output schemas/runbook.schema.json
          runbook schema profile --output schemas/profile.schema.json
        """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case runbook, profile
    }

    @Argument(help: "Which schema: runbook or profile.")
    var kind: Kind = .runbook

    @Option(name: [.short, .long], help: "Write the schema to FILE instead of standard output.")
    var output: String?

    func run() async throws {
        let schema: JSONValue
        switch kind {
        case .runbook: schema = RunbookSchema.generate(catalog: Registry.catalog)
        case .profile: schema = ProfileSchema.generate()
        }
        let text = schema.pretty + "\n"
        guard let output else {
            print(text, terminator: "")
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("error: cannot write \(output): \(error.localizedDescription)\n".utf8))
            throw ExitCode(RunbookExitCode.usage.rawValue)
        }
    }
}
