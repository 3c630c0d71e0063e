import Foundation
import RunbookCore
@testable import RunbookEngine
import XCTest

/// A fresh directory under /tmp, removed by the caller's tearDown.
func makeTemporaryDirectory(_ label: String = "engine") -> String {
    let path = NSTemporaryDirectory() + "rb-\(label)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Parses a runbook from YAML text, failing the test on any load diagnostic.
func parseRunbook(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) throws -> Runbook {
    let doc = YAMLDocument.parse(Data(yaml.utf8), path: "test.yaml")
    let loaded = RunbookLoader.load(document: doc)
    XCTAssertEqual(loaded.diagnostics.map(\.description), [], file: file, line: line)
    return try XCTUnwrap(loaded.runbook, file: file, line: line)
}

/// What the fake actions did, in order.
final class Trace: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    private var running = 0
    private(set) var maxConcurrent = 0

    func add(_ s: String) { lock.withLock { entries.append(s) } }
    var all: [String] { lock.withLock { entries } }

    func enter() { lock.withLock { running += 1; maxConcurrent = max(maxConcurrent, running) } }
    func leave() { lock.withLock { running -= 1 } }
}

/// `fake.do` / `fake.check`: record their `name` in the trace; fail when `fail` is
/// true (or `name` is in `fail_names`) (or while `fail_until` attempts have not been made); sleep `sleep` seconds.
struct FakeAction: ExecutableAction {
    let spec: ActionSpec
    let trace: Trace
    private let attempts = Counter()

    init(_ name: String, role: ActionSpec.Role = .action, destructive: Bool = false, trace: Trace) {
        spec = ActionSpec(name, role: role, summary: "test double", inputs: [
            InputSpec("name", .string, required: true, "label"),
            InputSpec("fail", .bool, default: .bool(false), "fail"),
            InputSpec("fail_until", .int, default: .int(0), "fail the first N calls"),
            InputSpec("fail_names", .list(.string), "fail when `name` is one of these"),
            InputSpec("sleep", .string, "seconds"),
            InputSpec("database", .string, "a database name"),
            InputSpec("value", .string, "output value"),
            InputSpec("env", .map(.string), "environment; values may be secrets"),
        ], outputs: [OutputSpec("value", "echo of input value")], destructive: destructive)
        self.trace = trace
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.builtin("\(spec.name) \(try call.string("name"))")]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let name = try call.string("name")
        trace.add(name)
        trace.enter()
        defer { trace.leave() }
        if let s = call.optionalString("sleep"), let seconds = Double(s) {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        }
        let n = attempts.next(name)
        let failNames = call.inputs["fail_names"]?.listValue?.map(\.description) ?? []
        if (try? call.bool("fail")) == true || n <= ((try? call.int("fail_until")) ?? 0) || failNames.contains(name) {
            return .failed("\(name) failed", exitStatus: 1)
        }
        return .ok("\(name) ok", outputs: ["value": .string(call.optionalString("value") ?? name)])
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func next(_ key: String) -> Int { lock.withLock { counts[key, default: 0] += 1; return counts[key]! } }
}

/// Answers questions from a script; `interactive: false` behaves like no terminal.
final class ScriptedPrompter: Prompter, @unchecked Sendable {
    let isInteractive: Bool
    private let lock = NSLock()
    private var answers: [String]
    private(set) var questions: [String] = []

    init(interactive: Bool, answers: [String] = []) {
        isInteractive = interactive
        self.answers = answers
    }

    func ask(_ question: String) async -> String? {
        lock.withLock {
            questions.append(question)
            return answers.isEmpty ? nil : answers.removeFirst()
        }
    }
}

/// Keeps every event shown.
final class CollectingReporter: RunReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RunEvent] = []
    func report(_ event: RunEvent) { lock.withLock { events.append(event) } }
    var all: [RunEvent] { lock.withLock { events } }
    var finishedSteps: [(String, StepState)] {
        all.compactMap { if case .stepFinished(let p, let s, _, _) = $0 { return (p, s) }; return nil }
    }
}

/// Runs a runbook with fake actions in a temporary state directory.
struct Harness {
    let trace = Trace()
    let state: String
    let reporter = CollectingReporter()

    let actions: [any ExecutableAction]

    init() {
        state = makeTemporaryDirectory("state")
        actions = [FakeAction("fake.do", trace: trace), FakeAction("fake.check", role: .check, trace: trace),
                   FakeAction("fake.drop", destructive: true, trace: trace)]
    }

    func request(_ runbook: Runbook, params: [String: Value] = [:], options: RunOptions = RunOptions(),
                 resuming: RunJournal? = nil, siblings: [String: Runbook] = [:]) -> RunRequest {
        RunRequest(runbook: runbook, profile: nil, params: params, runbooksDirectory: state, graph: RunbookGraph(root: runbook, available: siblings),
                   stateDirectory: StateDirectory(root: state), planDigest: "test", options: options, resuming: resuming)
    }

    func run(_ runbook: Runbook, params: [String: Value] = [:], options: RunOptions = RunOptions(),
             prompter: Prompter = ScriptedPrompter(interactive: false), resuming: RunJournal? = nil,
             siblings: [String: Runbook] = [:]) async -> RunOutcome {
        let interpreter = Interpreter(request: request(runbook, params: params, options: options, resuming: resuming, siblings: siblings),
                                      actions: actions, reporter: reporter, prompter: prompter, handleSignals: false)
        return await interpreter.run()
    }

    func journal(_ outcome: RunOutcome) throws -> RunJournal {
        try JournalStore.load(path: StateDirectory(root: state).journalPath(try XCTUnwrap(outcome.runID)))
    }

    func auditEvents() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: StateDirectory(root: state).auditPath, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: state) }
}
