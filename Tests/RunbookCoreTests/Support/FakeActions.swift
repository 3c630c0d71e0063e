import Foundation
import RunbookActions
import RunbookCore

/// Test-only actions and checks: pure declarations, so rule tests and golden files do
/// not change when the real action families change.
struct FakeAction: ActionDefinition {
    let spec: ActionSpec
    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] { [] }
}

enum FakeCatalog {
    static let specs: [ActionSpec] = [
        ActionSpec("test.dump", summary: "Dump one database to a file", inputs: [
            InputSpec("target", .target(.postgres), required: true, "The server"),
            InputSpec("database", .identifier, required: true, "The database"),
            InputSpec("to", .path, required: true, "Output file"),
            InputSpec("format", .oneOf(["plain", "custom", "directory"]), default: .string("custom"), "Dump format"),
            InputSpec("jobs", .int, default: .int(1), minimum: 1, "Parallel jobs"),
            InputSpec("compress", .bool, "Compress the output"),
            InputSpec("timeout", .duration, "Give up after this long"),
            InputSpec("tables", .list(.identifier), "Only these tables"),
            InputSpec("env", .map(.string), "Extra environment"),
        ], outputs: [OutputSpec("path", "The file written"), OutputSpec("bytes", "Its size")]),
        ActionSpec("test.stop", summary: "Stop compose services", inputs: [
            InputSpec("target", .target(.compose), required: true, "The compose project"),
            InputSpec("services", .list(.string), required: true, "Services to stop"),
        ], destructive: true),
        ActionSpec("test.start", summary: "Start compose services", inputs: [
            InputSpec("target", .target(.compose), required: true, "The compose project"),
            InputSpec("services", .list(.string), required: true, "Services to start"),
        ]),
        ActionSpec("test.exec", summary: "Run a program", inputs: [
            InputSpec("argv", .list(.string), required: true, "Program and arguments"),
            InputSpec("env", .map(.string), "Environment; values may be secrets"),
        ], outputs: [OutputSpec("stdout", "Standard output")]),
        ActionSpec("test.shell", summary: "Run shell text", inputs: [
            InputSpec("command", .shell, required: true, "The script"),
        ]),
        ActionSpec("test.exists", role: .check, summary: "A file exists", inputs: [
            InputSpec("path", .path, required: true, "The file"),
        ]),
        ActionSpec("test.query", role: .check, summary: "A query returns the expected value", inputs: [
            InputSpec("target", .target(.postgres), required: true, "The server"),
            InputSpec("sql", .sql, required: true, "The query"),
            InputSpec("expect", .string, "Expected output"),
        ]),
        ActionSpec("runbook.run", summary: "Run another runbook", inputs: [
            InputSpec("runbook", .string, required: true, "The runbook's name"),
            InputSpec("params", .map(.value), "Its params, as values of the types it declares"),
        ]),
    ]

    static let catalog = ActionCatalog(specs.map { FakeAction(spec: $0) })
}

extension ProfileLoader {
    /// Loads with the binary's target kinds (the kinds are declared in RunbookActions).
    static func load(document: YAMLDocument) -> Loaded { load(document: document, kinds: Registry.targetKinds) }
}

extension BatchValidation {
    /// Validates with the binary's target kinds.
    static func run(files: [String], catalog: ActionCatalog) -> Result {
        run(files: files, catalog: catalog, targetKinds: Registry.targetKinds)
    }
}
