import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

/// A param in `shell.run`'s command never runs as a command, however it is written and
/// wherever it sits: bound as `runbook run` binds it, run by the real `/bin/sh`.
final class ShellInjectionTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "rb-shell-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    var marker: String { dir + "/pwned" }

    /// Values that would each run `touch MARKER` if pasted into the text, in any quoting.
    var hostile: [String] {
        let m = marker
        return [
            "a; touch \(m)",
            "$(touch \(m))",
            "`touch \(m)`",
            "a\ntouch \(m)",
            "'; touch \(m); '",
            "\"; touch \(m); \"",
            "x' ; touch \(m) ; echo '",
            "${IFS}&& touch \(m)",
            "a\nEOF\ntouch \(m)\ncat <<EOF",
        ]
    }

    /// Binds `command` with `value` as `${params.value}` through the same binder as a run, and runs it.
    func run(_ command: String, value: String) async throws -> (ActionResult, String) {
        let call = ActionCall(name: "shell.run", nameLocation: SourceLocation(file: "t.yaml", line: 1, column: 1),
                              inputs: [YPair(key: "command", keyLocation: SourceLocation(file: "t.yaml", line: 2, column: 1),
                                             value: YNode(.scalar(command, quoted: true), at: SourceLocation(file: "t.yaml", line: 2, column: 10)))],
                              location: SourceLocation(file: "t.yaml", line: 1, column: 1))
        let scope = Scope(params: ["value": .string(value), "dir": .string(dir)], secretNames: [], runID: "r", startedAt: Date(), stateDir: "/tmp")
        let (_, resolved) = try CallBinder(catalog: Registry.catalog, profile: nil).bind(call, stepID: "s", evaluator: Evaluator(scope: scope))
        let context = RunContext(plan: PlanContext(profile: nil, runID: "r", stateDir: "/tmp"), processes: ProcessRunner(gracePeriod: 0.2), secrets: [:])
        try? FileManager.default.removeItem(atPath: dir + "/out")
        try? FileManager.default.removeItem(atPath: marker)
        let result = try await ShellRun().run(resolved, in: context)
        let out = (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "<no output file>"
        return (result, out)
    }

    func testHostileValuesArriveIntactAndRunNothingWhereverTheyAreWritten() async throws {
        let commands = [
            "unquoted": "printf '%s' ${params.value} > ${params.dir}/out",
            "glued to text": "printf '%s' x${params.value}x > ${params.dir}/out",
            "double quotes": "printf '%s' \"${params.value}\" > \"${params.dir}/out\"",
            "single quotes": "printf '%s' '${params.value}' > '${params.dir}/out'",
            "command substitution": "printf '%s' \"$(printf '%s' ${params.value})\" > ${params.dir}/out",
        ]
        for (place, command) in commands.sorted(by: { $0.key < $1.key }) {
            for value in hostile {
                let (result, out) = try await run(command, value: value)
                XCTAssertTrue(result.succeeded, "\(place), \(value.debugDescription): \(result.message ?? "")")
                let expected = place == "glued to text" ? "x\(value)x" : value
                // $(...) drops trailing newlines, as the shell always does.
                XCTAssertEqual(out, place == "command substitution" ? String(expected.reversed().drop { $0 == "\n" }.reversed()) : expected,
                               "\(place): the value must arrive as one word, unchanged")
                XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "\(place), \(value.debugDescription) ran a second command")
            }
        }
    }

    func testHostileValuesInAHereDocumentRunNothing() async throws {
        for value in hostile {
            let (result, out) = try await run("cat > ${params.dir}/out <<EOF\n${params.value}\nEOF\n", value: value)
            XCTAssertTrue(result.succeeded, "\(value.debugDescription): \(result.message ?? "")")
            XCTAssertEqual(out, value + "\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "\(value.debugDescription) ran a second command")
        }
    }

    func testPlanShowsTheExactTextAndTheVariablesThatCarryTheValues() throws {
        let call = ActionCall(name: "shell.run", nameLocation: SourceLocation(file: "t.yaml", line: 1, column: 1),
                              inputs: [YPair(key: "command", keyLocation: SourceLocation(file: "t.yaml", line: 2, column: 1),
                                             value: YNode(.scalar("ls ${params.dir}/x && echo \"in ${params.dir}\" 'at ${run.id}'", quoted: true),
                                                          at: SourceLocation(file: "t.yaml", line: 2, column: 10)))],
                              location: SourceLocation(file: "t.yaml", line: 1, column: 1))
        let scope = Scope(params: ["dir": .string("/srv/a b")], secretNames: [], runID: "r-1", startedAt: Date(), stateDir: "/tmp")
        let (definition, resolved) = try CallBinder(catalog: Registry.catalog, profile: nil).bind(call, stepID: "s", evaluator: Evaluator(scope: scope))
        let ops = try definition.plan(resolved, in: PlanContext(profile: nil, runID: "r-1", stateDir: "/tmp"))
        guard case .command(let cmd)? = ops.first else { return XCTFail("not a command: \(ops)") }
        XCTAssertEqual(cmd.argv, ["/bin/sh", "-c", #"ls "$RB_PARAM_DIR"/x && echo "in ${RB_PARAM_DIR}" 'at '"$RB_RUN_ID"''"#])
        XCTAssertEqual(cmd.environment, ["RB_PARAM_DIR": .literal("/srv/a b"), "RB_RUN_ID": .literal("r-1")])
    }

    func testAnEnvEntryThatWouldShadowACarrierIsRefused() throws {
        let loc = SourceLocation(file: "t.yaml", line: 1, column: 1)
        let call = ActionCall(name: "shell.run", nameLocation: loc, inputs: [
            YPair(key: "command", keyLocation: loc, value: YNode(.scalar("echo ${params.dir}", quoted: true), at: loc)),
            YPair(key: "env", keyLocation: loc, value: YNode(.mapping([YPair(key: "RB_PARAM_DIR", keyLocation: loc,
                                                                              value: YNode(.scalar("/other", quoted: true), at: loc))]), at: loc)),
        ], location: loc)
        let scope = Scope(params: ["dir": .string("/srv")], secretNames: [], runID: "r", startedAt: Date(), stateDir: "/tmp")
        let (definition, resolved) = try CallBinder(catalog: Registry.catalog, profile: nil).bind(call, stepID: "s", evaluator: Evaluator(scope: scope))
        XCTAssertThrowsError(try definition.plan(resolved, in: PlanContext(profile: nil, runID: "r", stateDir: "/tmp"))) { error in
            XCTAssertEqual("\(error)", #"input "env": RB_PARAM_DIR is the variable that carries a ${...} value into the command; use another name"#)
        }
    }
}
