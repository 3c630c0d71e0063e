import ArgumentParser
import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine

/// `runbook schema`: prints the JSON Schema generated from the action declarations.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (2020-12) for runbooks or profiles, or the generated parts of docs/format.md.",
        discussion: """
        Generated from the same declarations the validator uses, so editors complete and check \
        exactly what `runbook validate` accepts. Start a runbook with
          # yaml-language-server: $schema=../schemas/runbook.schema.json
        The committed copies are refreshed with:
          runbook schema runbook --output schemas/runbook.schema.json
          runbook schema profile --output schemas/profile.schema.json
          runbook schema format --output docs/format.md
        `format` prints the key tables, target kinds and rule ids of docs/format.md; with \
        --output it rewrites them in place between their <!-- BEGIN/END generated --> markers.
        """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case runbook, profile, format
    }

    @Argument(help: "Which schema: runbook, profile or format (the generated parts of docs/format.md).")
    var kind: Kind = .runbook

    @Option(name: [.short, .long], help: "Write the schema to FILE instead of standard output.")
    var output: String?

    func run() async throws {
        let text: String
        switch kind {
        case .runbook: text = RunbookSchema.generate(catalog: Registry.catalog).pretty + "\n"
        case .profile: text = ProfileSchema.generate(kinds: Registry.targetKinds).pretty + "\n"
        case .format:
            guard let output else {
                print(FormatReference.render(kinds: Registry.targetKinds), terminator: "")
                return
            }
            text = try Self.updated(output)
        }
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

    /// `path`'s text with its generated sections rewritten.
    static func updated(_ path: String) throws -> String {
        do {
            return try FormatReference.update(String(contentsOfFile: path, encoding: .utf8), kinds: Registry.targetKinds)
        } catch {
            FileHandle.standardError.write(Data("error: cannot update \(path): \(error)\n".utf8))
            throw ExitCode(RunbookExitCode.usage.rawValue)
        }
    }
}
