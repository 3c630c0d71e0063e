import Foundation
import XCTest

/// `runbook schema` and `runbook list` end to end, and the committed schemas checked by an
/// independent validator (check-jsonschema, from PyPI) against the shipped runbooks and profiles.
final class SchemaCommandTests: XCTestCase {
    func testSchemaPrintsTheCommittedRunbookSchema() throws {
        let r = try CLI.run(["schema"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let committed = try String(contentsOf: CLI.packageRoot.appendingPathComponent("schemas/runbook.schema.json"), encoding: .utf8)
        XCTAssertEqual(r.stdout, committed, "schemas/runbook.schema.json is out of date; run `runbook schema runbook --output schemas/runbook.schema.json`")
    }

    func testSchemaWritesTheProfileSchemaToAFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["schema", "profile", "--output", dir.appendingPathComponent("p.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "")
        let written = try String(contentsOf: dir.appendingPathComponent("p.json"), encoding: .utf8)
        let committed = try String(contentsOf: CLI.packageRoot.appendingPathComponent("schemas/profile.schema.json"), encoding: .utf8)
        XCTAssertEqual(written, committed, "schemas/profile.schema.json is out of date; run `runbook schema profile --output schemas/profile.schema.json`")
    }

    func testSchemaFormatRewritesTheGeneratedPartsOfFormatMarkdownInPlace() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let committed = try String(contentsOf: CLI.packageRoot.appendingPathComponent("docs/format.md"), encoding: .utf8)
        let copy = dir.appendingPathComponent("format.md")
        // A stale copy: the generated target section emptied, the prose around it kept.
        let begin = "<!-- BEGIN generated: targets (runbook schema format); do not edit -->\n"
        let stale = try XCTUnwrap(committed.range(of: begin)).upperBound
        let end = try XCTUnwrap(committed.range(of: "<!-- END generated: targets -->", range: stale..<committed.endIndex)).lowerBound
        try CLI.write(committed.replacingCharacters(in: stale..<end, with: "stale\n"), to: copy)
        let r = try CLI.run(["schema", "format", "--output", copy.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOf: copy, encoding: .utf8), committed,
                       "docs/format.md is out of date; run `runbook schema format --output docs/format.md` and commit it")

        try CLI.write("# no markers\n", to: copy)
        let missing = try CLI.run(["schema", "format", "--output", copy.path])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.stderr.hasPrefix("error: cannot update \(copy.path): no \"<!-- BEGIN generated: params"), missing.stderr)
    }

    func testListShowsNamesSummariesAndParams() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try CLI.write("""
        runbook: restore
        summary: Restore one database
        params:
          database: {type: identifier, default: app, description: Target database}
          dump: {type: path, required: true}
          format: {type: string, allowed: [plain, custom], default: custom}
        steps:
          - {id: go, manual: [Go]}

        """, to: dir.appendingPathComponent("runbooks/restore.yaml"))
        try CLI.write("runbook: [\n", to: dir.appendingPathComponent("runbooks/broken.yaml"))
        let text = try CLI.run(["list"], in: dir)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout, """
        broken   (cannot be loaded; run: runbook validate runbooks/broken.yaml)
        restore  Restore one database
            database: identifier = app  # Target database
            dump: path, required
            format: string (plain|custom) = custom

        """)
        let json = try CLI.run(["list", "--format", "json"], in: dir)
        XCTAssertEqual(json.status, 0)
        let items = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(items.map { $0["name"] as? String }, ["broken", "restore"])
        XCTAssertEqual(items[0]["loaded"] as? Bool, false)
        let params = try XCTUnwrap(items[1]["params"] as? [[String: Any]])
        XCTAssertEqual(params.map { $0["name"] as? String }, ["database", "dump", "format"])
        XCTAssertEqual(params[0]["default"] as? String, "app")
        XCTAssertEqual(params[1]["required"] as? Bool, true)
        XCTAssertTrue(params[1]["default"] is NSNull)
        XCTAssertEqual(params[2]["allowed"] as? [String], ["plain", "custom"])
    }

    // MARK: - Independent validation with check-jsonschema

    /// check-jsonschema on PATH, or a failure telling how to install it (never a silent skip).
    func checkJSONSchema(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/check-jsonschema"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        XCTFail("check-jsonschema is not installed; run scripts/setup.sh (it runs `pip install check-jsonschema`)", file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }

    func runTool(_ tool: String, _ arguments: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.currentDirectoryURL = CLI.packageRoot
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func yamlFiles(_ dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent(dir).path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(dir)/\($0)" }
    }

    func testShippedRunbooksAndProfilesPassTheCommittedSchemas() throws {
        let tool = try checkJSONSchema()
        let runbooks = yamlFiles("runbooks")
        let profiles = yamlFiles("profiles")
        if !runbooks.isEmpty {
            let (status, output) = try runTool(tool, ["--schemafile", "schemas/runbook.schema.json"] + runbooks)
            XCTAssertEqual(status, 0, output)
        }
        if !profiles.isEmpty {
            let (status, output) = try runTool(tool, ["--schemafile", "schemas/profile.schema.json"] + profiles)
            XCTAssertEqual(status, 0, output)
        }
    }

    func testTheSchemasAcceptValidDocumentsAndRejectBrokenOnes() throws {
        let tool = try checkJSONSchema()
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.yaml"), bad = dir.appendingPathComponent("bad.yaml")
        try CLI.write("""
        runbook: good
        summary: s
        params:
          dir: {type: path, default: /x}
          dbs: {type: "list<identifier>", required: yes}
        secrets:
          pw: {env: PW}
        steps:
          - id: look
            manual: ["Open ${params.dir}"]
            timeout: 5m
            retry: {attempts: 2, delay: 1s}
            on_failure: continue
            for_each: ${params.dbs}
            as: db

        """, to: good)
        try CLI.write("""
        runbook: bad
        summary: s
        steps:
          - id: Bad Id
            manul: [x]
            on_failure: explode

        """, to: bad)
        var (status, output) = try runTool(tool, ["--schemafile", "schemas/runbook.schema.json", good.path])
        XCTAssertEqual(status, 0, output)
        (status, output) = try runTool(tool, ["--schemafile", "schemas/runbook.schema.json", bad.path])
        XCTAssertNotEqual(status, 0, "the schema should reject \(bad.path): \(output)")

        let profile = dir.appendingPathComponent("p.yaml")
        try CLI.write("""
        profile: p
        secrets: {pw: {env: PW}}
        targets:
          stack: {compose: {project_dir: /opt}}
          db: {postgres: {via: compose, compose: stack, service: pg, password: "${secrets.pw}"}}

        """, to: profile)
        (status, output) = try runTool(tool, ["--schemafile", "schemas/profile.schema.json", profile.path])
        XCTAssertEqual(status, 0, output)
        try CLI.write("profile: p\ntargets:\n  db: {postgres: {password: hunter2}, compose: {project_dir: /x}}\n", to: profile)
        (status, output) = try runTool(tool, ["--schemafile", "schemas/profile.schema.json", profile.path])
        XCTAssertNotEqual(status, 0, "a literal password and two kinds must be rejected: \(output)")
    }
}
