import RunbookActions
import XCTest
@testable import RunbookCore

final class SchemaTests: XCTestCase {
    func object(_ v: JSONValue?, _ path: String..., file: StaticString = #filePath, line: UInt = #line) -> JSONValue? {
        var current = v
        for key in path {
            guard case .object(let m)? = current else { XCTFail("no object at \(key)", file: file, line: line); return nil }
            current = m[key]
        }
        return current
    }

    func testCommittedSchemasMatchTheGeneratedOnes() throws {
        let pairs: [(String, JSONValue, String)] = [
            ("schemas/runbook.schema.json", RunbookSchema.generate(catalog: Registry.catalog), "runbook"),
            ("schemas/profile.schema.json", ProfileSchema.generate(kinds: Registry.targetKinds), "profile"),
        ]
        for (path, schema, kind) in pairs {
            let committed = try String(contentsOf: packageRoot.appendingPathComponent(path), encoding: .utf8)
            XCTAssertEqual(committed, schema.pretty + "\n",
                           "\(path) is out of date; run `runbook schema \(kind) --output \(path)` and commit it")
        }
    }

    func testCommittedFormatMarkdownMatchesTheDeclarations() throws {
        let committed = try String(contentsOf: packageRoot.appendingPathComponent("docs/format.md"), encoding: .utf8)
        XCTAssertEqual(try FormatReference.update(committed, kinds: Registry.targetKinds), committed,
                       "docs/format.md is out of date; run `runbook schema format --output docs/format.md` and commit it")
    }

    func testActionInputsBecomeConditionalWithSchemas() throws {
        let schema = RunbookSchema.generate(catalog: FakeCatalog.catalog)
        let with = object(schema, "$defs", "with.test.dump")
        XCTAssertEqual(object(with, "required"), ["database", "target", "to"])
        XCTAssertEqual(object(with, "additionalProperties"), false)
        XCTAssertEqual(object(with, "properties", "jobs", "description"), "Parallel jobs. Type: int. Default: 1.")
        XCTAssertEqual(object(with, "properties", "format", "anyOf"), [["enum": ["plain", "custom", "directory"]], ["$ref": "#/$defs/expression"]])
        guard case .array(let conditions)? = object(schema, "$defs", "step", "allOf") else { return XCTFail("no allOf") }
        XCTAssertTrue(conditions.contains([
            "if": ["properties": ["action": ["const": "test.dump"]], "required": ["action"]],
            "then": ["properties": ["with": ["$ref": "#/$defs/with.test.dump"]], "required": ["with"]],
        ]))
        // A step's action may be an action or a check; rollback takes actions only.
        XCTAssertEqual(object(schema, "$defs", "step", "properties", "action", "enum"),
                       ["runbook.run", "test.dump", "test.exec", "test.exists", "test.query", "test.shell", "test.start", "test.stop"])
        XCTAssertEqual(object(schema, "$defs", "check", "properties", "check", "enum"), ["test.exists", "test.query"])
        XCTAssertEqual(object(schema, "$schema"), "https://json-schema.org/draft/2020-12/schema")
    }

    func testEveryLoaderKeyIsInTheSchemaWithHelp() {
        let schema = RunbookSchema.generate(catalog: FakeCatalog.catalog)
        func keys(_ v: JSONValue?) -> [String] {
            guard case .object(let m)? = v else { return [] }
            return m.keys.sorted()
        }
        XCTAssertEqual(keys(object(schema, "properties")), RunbookLoader.topLevelKeys.sorted())
        XCTAssertEqual(keys(object(schema, "$defs", "step", "properties")), RunbookLoader.stepKeys.sorted())
        XCTAssertEqual(keys(object(schema, "$defs", "param", "properties")), RunbookLoader.paramKeys.sorted())
        XCTAssertEqual(keys(object(schema, "$defs", "secret", "properties")), RunbookLoader.secretKeys.sorted())
        XCTAssertEqual(keys(object(schema, "properties", "rto", "properties")), RunbookLoader.rtoKeys.sorted())
        for key in RunbookLoader.rtoKeys { XCTAssertNotNil(KeyHelp.rto[key], "no help for rto key \(key)") }
        for key in RunbookLoader.stepKeys { XCTAssertNotNil(KeyHelp.step[key], "no help for step key \(key)") }
        for key in RunbookLoader.topLevelKeys { XCTAssertNotNil(KeyHelp.runbook[key], "no help for \(key)") }
        for key in RunbookLoader.paramKeys { XCTAssertNotNil(KeyHelp.param[key], "no help for param key \(key)") }
        let profile = ProfileSchema.generate(kinds: Registry.targetKinds)
        XCTAssertEqual(keys(object(profile, "properties")), ProfileLoader.topLevelKeys.sorted())
        for kind in Registry.targetKinds.kinds {
            XCTAssertEqual(keys(object(profile, "$defs", "target.\(kind.name)", "properties")), kind.keyNames.sorted())
            for key in kind.keys { XCTAssertFalse(key.summary.isEmpty, "no help for \(kind.name) key \(key.name)") }
        }
    }

    func testGenerationIsDeterministic() {
        XCTAssertEqual(RunbookSchema.generate(catalog: FakeCatalog.catalog).pretty, RunbookSchema.generate(catalog: FakeCatalog.catalog).pretty)
    }
}

/// The generated schema, read by an independent validator (check-jsonschema), must agree
/// with `runbook validate` on the fixtures: the ok ones pass, structural errors are rejected.
final class SchemaAgreementTests: XCTestCase {
    func tool(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(dir)/check-jsonschema") { return "\(dir)/check-jsonschema" }
        }
        XCTFail("check-jsonschema is not installed; run scripts/setup.sh (it runs `pip install check-jsonschema`)", file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }

    func validate(_ files: [String], schema: JSONValue) throws -> (Int32, String) {
        let schemaFile = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString).json")
        try Data((schema.pretty + "\n").utf8).write(to: schemaFile)
        defer { try? FileManager.default.removeItem(at: schemaFile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try tool())
        p.arguments = ["--schemafile", schemaFile.path] + files
        p.currentDirectoryURL = packageRoot
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The files check-jsonschema rejected, from its JSON report (one run for many files).
    func rejected(_ files: [String], schema: JSONValue) throws -> Set<String> {
        let (_, output) = try validate(["-o", "json"] + files, schema: schema)
        guard let report = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            XCTFail("check-jsonschema printed no JSON report: \(output)")
            return []
        }
        let errors = (report["errors"] as? [[String: Any]] ?? []) + (report["parse_errors"] as? [[String: Any]] ?? [])
        return Set(errors.compactMap { $0["filename"] as? String })
    }

    func testOKFixturesPassAndStructuralErrorsFail() throws {
        let runbookSchema = RunbookSchema.generate(catalog: FakeCatalog.catalog)
        let ok = ["Tests/Fixtures/ok/backup-all.yaml", "Tests/Fixtures/ok/restore-one.yaml"]
        let structural = ["unknown-action", "unknown-input", "missing-input", "input-type", "unknown-key", "invalid-step-id",
                          "enum", "range", "param-type", "type", "missing-key", "secret-source", "rto-keys", "rto-target"].map { "Tests/Fixtures/err/\($0).yaml" }
        XCTAssertEqual(try rejected(ok + structural, schema: runbookSchema), Set(structural),
                       "check-jsonschema and runbook validate disagree on these fixtures")
        let profiles = ["target-kind", "literal-secret", "target-via"].map { "Tests/Fixtures/err/\($0).yaml" }
        XCTAssertEqual(try rejected(["Tests/Fixtures/ok/local.yaml"] + profiles, schema: ProfileSchema.generate(kinds: Registry.targetKinds)), Set(profiles))
    }
}
