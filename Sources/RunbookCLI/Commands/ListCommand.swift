import ArgumentParser
import Foundation
import RunbookCore
import RunbookEngine

/// `runbook list`: every runbook's name, summary and params.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the runbooks: name, summary, and params with their types and defaults.",
        discussion: """
        Runbooks that cannot be loaded are listed with the reason; run `runbook validate` for details.
        json: [{"name", "summary", "path", "loaded", "params": [{"name", "type", "required", "default", "allowed", "description"}]}]
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(name: .customLong("runbooks-dir"), help: "The runbooks directory (default: $RUNBOOK_DIR or ./runbooks).")
    var runbooksDir: String?

    struct Entry {
        var name: String
        var path: String
        var runbook: Runbook?
    }

    func run() async throws {
        let workspace = Workspace(runbooksDir: runbooksDir)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: workspace.runbooksDir, isDirectory: &isDir), isDir.boolValue else {
            FileHandle.standardError.write(Data("error: no runbooks directory \"\(workspace.runbooksDir)\"; pass --runbooks-dir DIR\n".utf8))
            throw ExitCode(RunbookExitCode.invalid.rawValue)
        }
        let entries = workspace.allRunbookPaths().map { path -> Entry in
            let runbook = RunbookLoader.load(path: path).runbook
            let name = runbook.map(\.name).flatMap { $0.isEmpty ? nil : $0 } ?? NameMismatchRule.baseName(path)
            return Entry(name: name, path: path, runbook: runbook)
        }
        switch format {
        case .text: print(Self.text(entries), terminator: "")
        case .json: print(Self.json(entries).pretty)
        }
    }

    static func paramLine(_ p: ParamDecl) -> String {
        var s = "\(p.name): \(p.type)"
        if !p.allowed.isEmpty { s += " (\(p.allowed.joined(separator: "|")))" }
        if let d = p.defaultValue, let v = try? ParamBinder.coerce(d, to: p).get() { s += " = \(v.description)" }
        else if p.required { s += ", required" }
        if let desc = p.description, !desc.isEmpty { s += "  # \(desc)" }
        return s
    }

    static func text(_ entries: [Entry]) -> String {
        let width = entries.map(\.name.count).max() ?? 0
        var out = ""
        for e in entries {
            let padded = e.name.padding(toLength: max(width, e.name.count), withPad: " ", startingAt: 0)
            guard let rb = e.runbook else {
                out += "\(padded)  (cannot be loaded; run: runbook validate \(e.path))\n"
                continue
            }
            out += "\(padded)  \(rb.summary)\n"
            for p in rb.params { out += "    " + paramLine(p) + "\n" }
        }
        return out
    }

    static func json(_ entries: [Entry]) -> JSONValue {
        .array(entries.map { e in
            var item: [String: JSONValue] = ["name": .string(e.name), "path": .string(e.path), "loaded": .bool(e.runbook != nil)]
            guard let rb = e.runbook else { return .object(item) }
            item["summary"] = .string(rb.summary)
            item["params"] = .array(rb.params.map { p in
                var m: [String: JSONValue] = ["name": .string(p.name), "type": .string(p.type.description), "required": .bool(p.required),
                                              "allowed": .array(p.allowed.map { .string($0) })]
                if let d = p.defaultValue, let v = try? ParamBinder.coerce(d, to: p).get() { m["default"] = v.json } else { m["default"] = .null }
                m["description"] = p.description.map { .string($0) } ?? .null
                return .object(m)
            })
            return .object(item)
        })
    }
}
