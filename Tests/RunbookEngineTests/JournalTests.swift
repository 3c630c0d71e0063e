import Foundation
import RunbookCore
@testable import RunbookEngine
import XCTest

final class JournalTests: XCTestCase {
    var dir: String!
    override func setUp() { dir = makeTemporaryDirectory("journal") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func makeStore(redactor: Redactor = .none) throws -> JournalStore {
        let rb = try parseRunbook("""
        runbook: t
        summary: s
        steps: [{id: a, action: shell.run, with: {command: "true"}}]
        """)
        let journal = RunJournal(runID: "20261126T000000Z-000000", runbook: rb, runbooksDirectory: dir, profile: nil,
                                 params: ["n": .int(3), "dbs": .list([.string("a")])], planDigest: "p", operatorName: "op",
                                 osUser: "u", host: "h", argv: ["runbook"], startedAt: Date())
        let store = JournalStore(path: dir + "/journal.json", journal: journal, redactor: redactor)
        try store.update { _ in }
        return store
    }

    func testStepsAppendedToTheLogAreReadBackOverTheSnapshot() throws {
        let store = try makeStore()
        try store.updateStep("a", action: "shell.run") { $0.state = .running }
        try store.updateStep("a", action: "shell.run") { $0.state = .succeeded; $0.outputs = ["stdout": .string("hi")] }
        try store.updateStep("b[x]", action: "shell.run") { $0.state = .failed; $0.item = PlainValue(.string("x")) }
        let loaded = try JournalStore.load(path: store.path)
        XCTAssertEqual(loaded.steps.map(\.path), ["a", "b[x]"])
        XCTAssertEqual(loaded.step("a")?.state, .succeeded)
        XCTAssertEqual(loaded.step("a")?.outputs["stdout"], .string("hi"))
        XCTAssertEqual(loaded.step("b[x]")?.item?.value, .string("x"))
        XCTAssertEqual(loaded.params["dbs"], .list([.string("a")]), "typed params survive the round trip")
        XCTAssertEqual(loaded.params["n"], .int(3))
    }

    func testTornLastLogLineIsIgnored() throws {
        let store = try makeStore()
        try store.updateStep("a", action: "shell.run") { $0.state = .succeeded }
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: store.logPath))
        handle.seekToEndOfFile()
        handle.write(Data("{\"step\":{\"path\":\"a\",\"state\":\"fai".utf8))
        try handle.close()
        XCTAssertEqual(try JournalStore.load(path: store.path).step("a")?.state, .succeeded)
    }

    func testSnapshotFoldsTheLogIn() throws {
        let store = try makeStore()
        try store.updateStep("a", action: "shell.run") { $0.state = .succeeded }
        try store.update { $0.status = .succeeded }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.logPath))
        let loaded = try JournalStore.load(path: store.path)
        XCTAssertEqual(loaded.status, .succeeded)
        XCTAssertEqual(loaded.step("a")?.state, .succeeded)
    }

    func testRecordsAreRedacted() throws {
        let store = try makeStore(redactor: Redactor(secrets: ["pw": "hunter2hunter2"]))
        try store.updateStep("a", action: "shell.run") { $0.message = "login with hunter2hunter2 failed" }
        let log = try String(contentsOfFile: store.logPath, encoding: .utf8)
        XCTAssertFalse(log.contains("hunter2"))
        XCTAssertEqual(try JournalStore.load(path: store.path).step("a")?.message, "login with [secret:pw] failed")
    }
}
