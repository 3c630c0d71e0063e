import Foundation
import RunbookCore
@testable import RunbookEngine
import XCTest

/// Orchestration semantics with fake actions (no processes): order, when,
/// loops, retry, checks, the saga, policies, outputs, confirmations.
final class InterpreterTests: XCTestCase {
    var h: Harness!

    override func setUp() { h = Harness() }
    override func tearDown() { h.remove() }

    func testStepsRunInOrderAndOutputsFlowIntoLaterSteps() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a, value: from-a}}
          - {id: b, action: fake.do, with: {name: "b-${steps.a.outputs.value}"}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(h.trace.all, ["a", "b-from-a"])
        XCTAssertEqual(try h.journal(outcome).step("b")?.outputs["value"], .string("b-from-a"))
    }

    func testWhenFalseSkipsTheStep() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        params: {mode: {type: string, default: fast}}
        steps:
          - {id: a, action: fake.do, with: {name: a}, when: "${params.mode} == slow"}
          - {id: b, action: fake.do, with: {name: b}, when: "${params.mode} == fast"}
        """)
        let outcome = await h.run(rb, params: ["mode": .string("fast")])
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(h.trace.all, ["b"])
        XCTAssertEqual(try h.journal(outcome).step("a")?.state, .skipped)
    }

    func testForEachRunsEveryItemWithAtMostParallelAtOnce() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        params: {dbs: {type: "list<identifier>", default: [d1, d2, d3, d4, d5]}}
        steps:
          - id: dump
            action: fake.do
            for_each: ${params.dbs}
            as: db
            parallel: 2
            with: {name: "dump-${db}", sleep: "0.1", value: "${db}"}
          - {id: after, action: fake.do, with: {name: "after"}}
        """)
        let (params, diags) = ParamBinder.bind(rb, given: [:])
        XCTAssertEqual(diags, [])
        let outcome = await h.run(rb, params: params)
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(Set(h.trace.all.dropLast()), ["dump-d1", "dump-d2", "dump-d3", "dump-d4", "dump-d5"])
        XCTAssertEqual(h.trace.all.last, "after")
        XCTAssertEqual(h.trace.maxConcurrent, 2)
        let journal = try h.journal(outcome)
        XCTAssertEqual(journal.step("dump")?.outputs["value"], .list(["d1", "d2", "d3", "d4", "d5"].map(Value.string)))
        XCTAssertEqual(journal.step("dump[d3]")?.state, .succeeded)
    }

    func testRetryRunsTheActionAgainAfterTheDelay() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: flaky, action: fake.do, with: {name: flaky, fail_until: 2}, retry: {attempts: 3, delay: 0.2s}}
        """)
        let started = Date()
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(h.trace.all, ["flaky", "flaky", "flaky"])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.4)
        XCTAssertEqual(try h.journal(outcome).step("flaky")?.attempts, 3)
    }

    func testRetryGivesUpAfterTheLastAttempt() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: flaky, action: fake.do, with: {name: flaky, fail_until: 5}, retry: {attempts: 2}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(h.trace.all, ["flaky", "flaky"])
    }

    func testFailedRequireFailsTheStepWithoutRunningIt() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - id: a
            action: fake.do
            with: {name: action}
            require:
              - {check: fake.check, name: pre-ok}
              - {check: fake.check, name: pre-bad, fail: true}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(h.trace.all, ["pre-ok", "pre-bad"])
        XCTAssertTrue(try h.journal(outcome).step("a")?.message?.contains("precondition fake.check failed") ?? false)
    }

    func testFailedVerifyFailsTheStepAfterItRan() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - id: a
            action: fake.do
            with: {name: action}
            rollback: {action: fake.do, with: {name: undo-a}}
            verify: [{check: fake.check, name: post, fail: true}]
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(h.trace.all, ["action", "post"], "a step whose verify fails did not complete, so it is not rolled back")
        XCTAssertEqual(outcome.status, .failed)
    }

    func testFailureRollsBackCompletedStepsNewestFirst() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a}, rollback: {action: fake.do, with: {name: undo-a}}}
          - {id: b, action: fake.do, with: {name: b}}
          - {id: c, action: fake.do, with: {name: c}, rollback: {action: fake.do, with: {name: "undo-c-${steps.c.outputs.value}"}}}
          - {id: d, action: fake.do, with: {name: d, fail: true}, rollback: {action: fake.do, with: {name: undo-d}}}
          - {id: e, action: fake.do, with: {name: e}}
        on_failure:
          - {id: notify, action: fake.do, with: {name: notify}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .rolledBack)
        XCTAssertEqual(outcome.status.exitCode, 2)
        XCTAssertEqual(h.trace.all, ["a", "b", "c", "d", "undo-c-c", "undo-a", "notify"])
        let journal = try h.journal(outcome)
        XCTAssertEqual(journal.step("a")?.state, .rolledBack)
        XCTAssertEqual(journal.step("c")?.state, .rolledBack)
        XCTAssertEqual(journal.step("d")?.state, .failed)
        XCTAssertNil(journal.step("e"))
        let events = try h.auditEvents().map { "\($0["event"]!) \($0["step"] ?? "")" }
        XCTAssertTrue(events.contains("rollback.end c"))
        XCTAssertTrue(events.contains("rollback.end a"))
    }

    func testFailedRollbackIsReportedAndTheOthersStillRun() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a}, rollback: {action: fake.do, with: {name: undo-a}}}
          - {id: b, action: fake.do, with: {name: b}, rollback: {action: fake.do, with: {name: undo-b, fail: true}}}
          - {id: c, action: fake.do, with: {name: c, fail: true}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .rollbackFailed)
        XCTAssertEqual(outcome.status.exitCode, 3)
        XCTAssertEqual(h.trace.all, ["a", "b", "c", "undo-b", "undo-a"])
        XCTAssertEqual(try h.journal(outcome).step("b")?.state, .rollbackFailed)
    }

    func testAbortStopsWithoutRollingBack() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a}, rollback: {action: fake.do, with: {name: undo-a}}}
          - {id: b, action: fake.do, with: {name: b, fail: true}, on_failure: abort}
          - {id: c, action: fake.do, with: {name: c}}
        on_failure:
          - {id: notify, action: fake.do, with: {name: notify}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(h.trace.all, ["a", "b", "notify"])
        XCTAssertEqual(try h.journal(outcome).step("a")?.state, .succeeded)
    }

    func testContinueRecordsTheFailureAndGoesOn() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a, fail: true}, on_failure: continue}
          - {id: b, action: fake.do, with: {name: b}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .completedWithFailures)
        XCTAssertEqual(outcome.status.exitCode, 7)
        XCTAssertEqual(outcome.message, "1 failed and the run went on (on_failure: continue): a")
        XCTAssertEqual(h.trace.all, ["a", "b"])
        XCTAssertEqual(try h.journal(outcome).step("a")?.state, .continued)
        XCTAssertEqual(try h.journal(outcome).status, .completedWithFailures)
    }

    func testIgnoreRecordsTheFailureAndTheRunStillSucceeds() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a, fail: true}, on_failure: ignore}
          - {id: b, action: fake.do, with: {name: b}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(h.trace.all, ["a", "b"])
        XCTAssertEqual(try h.journal(outcome).step("a")?.state, .continued)
    }

    func testALoopThatContinuesPastFailedItemsNamesEachOfThemAndDoesNotSucceed() async throws {
        let failing = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - id: each
            action: fake.do
            for_each: [m1, m2, m3, m4]
            as: m
            parallel: 2
            on_failure: continue
            with: {name: "${m}", fail_names: [m2, m4]}
          - {id: after, action: fake.do, with: {name: after}}
        """)
        let outcome = await h.run(failing)
        XCTAssertEqual(outcome.status, .completedWithFailures)
        XCTAssertEqual(outcome.message, "2 failed and the run went on (on_failure: continue): each[m2], each[m4]")
        let journal = try h.journal(outcome)
        XCTAssertEqual(["m1", "m2", "m3", "m4"].map { journal.step("each[\($0)]")?.state }, [.succeeded, .continued, .succeeded, .continued])
        XCTAssertEqual(journal.step("after")?.state, .succeeded)
    }

    func testLaterFailureRollsBackEveryCompletedLoopItem() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - id: each
            action: fake.do
            for_each: [x1, x2, x3, x4]
            as: x
            with: {name: "${x}"}
            rollback: {action: fake.do, with: {name: "undo-${x}"}}
          - {id: boom, action: fake.do, with: {name: boom, fail: true}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .rolledBack)
        XCTAssertEqual(h.trace.all, ["x1", "x2", "x3", "x4", "boom", "undo-x4", "undo-x3", "undo-x2", "undo-x1"])
        let journal = try h.journal(outcome)
        XCTAssertEqual(journal.step("each")?.state, .rolledBack, "so that resume runs the loop again")
        XCTAssertEqual(journal.step("each[x2]")?.state, .rolledBack)
    }

    func testFailingLoopItemStopsLaunchingFurtherItems() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: pre, action: fake.do, with: {name: pre}, rollback: {action: fake.do, with: {name: undo-pre}}}
          - id: each
            action: fake.do
            for_each: [first, second, third]
            as: x
            with: {name: "${x}", fail: true}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .rolledBack)
        XCTAssertEqual(h.trace.all, ["pre", "first", "undo-pre"], "after the first item fails, no further item starts")
        XCTAssertNil(try h.journal(outcome).step("each[second]"))
    }

    func testDestructiveStepWithoutTerminalIsRefusedBeforeAnythingRuns() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a}}
          - {id: drop, action: fake.drop, with: {name: drop, database: shop}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.status, .refused)
        XCTAssertEqual(outcome.status.exitCode, 5)
        XCTAssertEqual(h.trace.all, [])
        XCTAssertTrue(outcome.message?.contains("drop") ?? false)
    }

    func testYesConfirmsWithoutTerminalAndIsRecordedAsAutomatic() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: drop, action: fake.drop, with: {name: drop, database: shop}, confirm: "Drops shop"}
          - {id: check, manual: ["Tell the team"]}
        """)
        let outcome = await h.run(rb, options: RunOptions(assumeYes: true, operatorName: "alice"))
        XCTAssertEqual(outcome.status, .succeeded)
        let journal = try h.journal(outcome)
        let confirmation = try XCTUnwrap(journal.step("drop")?.confirmations.first)
        XCTAssertTrue(confirmation.automatic)
        XCTAssertEqual(confirmation.operatorName, "alice")
        XCTAssertEqual(confirmation.osUser, Identity.osUser)
        let tick = try XCTUnwrap(journal.step("check")?.ticks.first)
        XCTAssertEqual(tick.what, "Tell the team")
        XCTAssertTrue(tick.automatic)
        let events = try h.auditEvents()
        XCTAssertTrue(events.contains { $0["event"] as? String == "manual.tick" && $0["status"] as? String == "auto-confirmed" })
        XCTAssertTrue(events.contains { $0["event"] as? String == "confirmation" && $0["operator"] as? String == "alice" })
    }

    func testOnATerminalTheOperatorMustTypeTheDatabaseName() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: drop, action: fake.drop, with: {name: drop, database: shop}, confirm: "Drops shop"}
        """)
        let wrong = ScriptedPrompter(interactive: true, answers: ["yes"])
        let refused = await h.run(rb, prompter: wrong)
        // Declined before any step completed: nothing ran, so the run is refused (exit 5).
        XCTAssertEqual(refused.status, .refused)
        XCTAssertEqual(h.trace.all, [])
        XCTAssertTrue(wrong.questions.first?.contains("Type shop to confirm") ?? false)

        let right = ScriptedPrompter(interactive: true, answers: ["shop"])
        let confirmed = await h.run(rb, prompter: right)
        XCTAssertEqual(confirmed.status, .succeeded)
        XCTAssertEqual(h.trace.all, ["drop"])
        XCTAssertEqual(try h.journal(confirmed).step("drop")?.confirmations.first?.automatic, false)
    }

    func testManualItemNotTickedFailsTheStep() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: check, manual: ["one", "two"]}
          - {id: after, action: fake.do, with: {name: after}}
        """)
        let prompter = ScriptedPrompter(interactive: true, answers: ["", "stop"])
        let outcome = await h.run(rb, prompter: prompter)
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(prompter.questions.count, 2)
        let journal = try h.journal(outcome)
        XCTAssertEqual(journal.step("check")?.ticks.map(\.what), ["one"])
        XCTAssertEqual(h.trace.all, [])
    }

    func testResumeSkipsCompletedStepsAndReusesTheirOutputs() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a, value: kept}}
          - {id: b, action: fake.do, with: {name: b, fail_until: 1}, on_failure: abort}
          - {id: c, action: fake.do, with: {name: "c-${steps.a.outputs.value}"}}
        """)
        let first = await h.run(rb)
        XCTAssertEqual(first.status, .failed)
        let journal = try h.journal(first)
        let second = await h.run(rb, resuming: journal)
        XCTAssertEqual(second.status, .succeeded)
        XCTAssertEqual(second.runID, first.runID)
        XCTAssertEqual(h.trace.all, ["a", "b", "b", "c-kept"])
        let after = try h.journal(second)
        XCTAssertEqual(after.sessions, 2)
        XCTAssertEqual(after.status, .succeeded)
        XCTAssertTrue(try h.auditEvents().contains { $0["event"] as? String == "run.resume" })
    }

    func testInterruptStopsTheRunningStepAndFollowsThePolicy() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a}, rollback: {action: fake.do, with: {name: undo-a}}}
          - {id: slow, action: fake.do, with: {name: slow, sleep: "30"}}
          - {id: never, action: fake.do, with: {name: never}}
        """)
        for (policy, expected) in [(InterruptPolicy.stop, ["a", "slow"]), (.rollback, ["a", "slow", "undo-a"])] {
            let harness = Harness()
            defer { harness.remove() }
            let interpreter = Interpreter(request: harness.request(rb, options: RunOptions(onInterrupt: policy)),
                                          actions: harness.actions, reporter: harness.reporter,
                                          prompter: ScriptedPrompter(interactive: false), handleSignals: false)
            let started = Date()
            async let outcome = interpreter.run()
            try await Task.sleep(nanoseconds: 300_000_000)
            interpreter.interrupt()
            let result = await outcome
            XCTAssertLessThan(Date().timeIntervalSince(started), 10)
            XCTAssertEqual(result.status, .interrupted)
            XCTAssertEqual(result.status.exitCode, 4)
            XCTAssertEqual(harness.trace.all, expected)
            XCTAssertEqual(try harness.journal(result).step("slow")?.state, .interrupted)
            XCTAssertEqual(try harness.journal(result).status, .interrupted)
        }
    }

    func testSecretsNeverReachTheRecords() async throws {
        setenv("RB_TEST_SECRET", "hunter2-very-secret", 1)
        defer { unsetenv("RB_TEST_SECRET") }
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        secrets: {pw: {env: RB_TEST_SECRET}}
        params: {v: {type: string}}
        steps:
          - {id: a, action: fake.do, with: {name: a, value: "${params.v}", env: {PW: "${secrets.pw}"}}}
          - {id: b, action: fake.do, with: {name: b, fail: true}}
        """)
        let outcome = await h.run(rb, params: ["v": .string("echo hunter2-very-secret")])
        XCTAssertEqual(outcome.status, .failed)
        let journalText = try String(contentsOfFile: StateDirectory(root: h.state).journalPath(try XCTUnwrap(outcome.runID)), encoding: .utf8)
        let auditText = try String(contentsOfFile: StateDirectory(root: h.state).auditPath, encoding: .utf8)
        XCTAssertFalse(journalText.contains("hunter2"))
        XCTAssertFalse(auditText.contains("hunter2"))
        XCTAssertTrue(journalText.contains("[secret:pw]"))
    }

    func testMissingSecretRefusesWithADiagnostic() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        secrets: {pw: {env: RB_TEST_UNSET_VARIABLE}}
        steps:
          - {id: a, action: fake.do, with: {name: a}}
          - {id: b, action: fake.do, with: {name: b, env: {PW: "${secrets.pw}"}}}
        """)
        let outcome = await h.run(rb)
        XCTAssertEqual(outcome.diagnostics.map(\.rule), ["secret-unavailable"])
        XCTAssertEqual(outcome.diagnostics.first?.message, "secret \"pw\": environment variable RB_TEST_UNSET_VARIABLE is not set")
        XCTAssertEqual(h.trace.all, [], "a missing secret stops the run before its first step, even when a later step needs it")
    }

    func testASecretOnlyASkippedStepUsesIsNotDemanded() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        secrets: {pw: {env: RB_TEST_UNSET_VARIABLE}}
        params: {notify: {type: bool, default: false}}
        steps:
          - {id: a, action: fake.do, with: {name: a}}
          - {id: b, when: "${params.notify}", action: fake.do, with: {name: b, env: {PW: "${secrets.pw}"}}}
        """)
        let outcome = await h.run(rb, params: ["notify": .bool(false)])
        XCTAssertEqual(outcome.diagnostics, [])
        XCTAssertEqual(outcome.status, .succeeded, outcome.message ?? "")
        XCTAssertEqual(h.trace.all, ["a"])
    }
}

extension InterpreterTests {
    func testInterruptBeforeTheFirstStepRunsNothing() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - {id: a, action: fake.do, with: {name: a}}
        """)
        let interpreter = Interpreter(request: h.request(rb), actions: h.actions, reporter: h.reporter,
                                      prompter: ScriptedPrompter(interactive: false), handleSignals: false)
        interpreter.interrupt()
        let outcome = await interpreter.run()
        XCTAssertEqual(outcome.status, .interrupted)
        XCTAssertEqual(h.trace.all, [])
    }
}

/// Answers every question after a pause, noting how many were open at once.
final class SlowPrompter: Prompter, @unchecked Sendable {
    let isInteractive = true
    private let lock = NSLock()
    private var open = 0
    private(set) var maxOpen = 0
    private(set) var asked = 0
    let answer: String
    init(answer: String) { self.answer = answer }

    func ask(_ question: String) async -> String? {
        lock.withLock { open += 1; asked += 1; maxOpen = max(maxOpen, open) }
        try? await Task.sleep(nanoseconds: 100_000_000)
        lock.withLock { open -= 1 }
        return answer
    }
}

extension InterpreterTests {
    func testParallelItemsAskTheOperatorOneAtATime() async throws {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps:
          - id: drop
            action: fake.drop
            for_each: [a, b, c]
            as: db
            parallel: 3
            with: {name: "drop-${db}", database: shop}
        """)
        let prompter = SlowPrompter(answer: "shop")
        let outcome = await h.run(rb, prompter: prompter)
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(prompter.asked, 3)
        XCTAssertEqual(prompter.maxOpen, 1)
    }
}
