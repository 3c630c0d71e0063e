import Foundation
@testable import RunbookEngine
import XCTest

final class LockTests: XCTestCase {
    var dir: String!
    override func setUp() { dir = makeTemporaryDirectory("locks") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func holder(_ run: String, pid: Int32 = getpid()) -> LockHolder {
        LockHolder(runID: run, pid: pid, host: Identity.host, since: Date(), processStart: ProcStat(pid: pid)?.startTime)
    }

    func testSecondHolderIsToldWhoHoldsTheLock() async throws {
        let first = LockSet(directory: dir, holder: holder("run-1"))
        let second = LockSet(directory: dir, holder: holder("run-2"))
        _ = try await first.acquire(["db", "restore"], wait: nil)
        do {
            _ = try await second.acquire(["restore"], wait: nil)
            XCTFail("second run got the lock")
        } catch let busy as LockSet.Busy {
            XCTAssertEqual(busy.holder?.runID, "run-1")
            XCTAssertEqual(busy.holder?.pid, getpid())
            XCTAssertTrue(busy.description.contains("run run-1 (pid \(getpid())"), busy.description)
        }
        first.releaseAll()
        let takeovers = try await second.acquire(["restore"], wait: nil)
        XCTAssertTrue(takeovers.isEmpty, "a released lock is not stale")
        second.releaseAll()
    }

    /// Parallel loop items of one run taking the same names at once (disaster-recovery runs
    /// restore-database, with its locks, for every database in parallel) all succeed.
    func testParallelAcquisitionsWithinOneRunNeverRefuseEachOther() async throws {
        for round in 1...20 {
            let set = LockSet(directory: dir, holder: holder("run-\(round)"))
            let refusals = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        do { _ = try await set.acquire(["restore-database", "aqstream-db"], wait: nil); return nil } catch { return "\(error)" }
                    }
                }
                var out: [String] = []
                for await refusal in group { if let refusal { out.append(refusal) } }
                return out
            }
            XCTAssertEqual(refusals, [], "round \(round)")
            XCTAssertTrue(set.isHeld("restore-database") && set.isHeld("aqstream-db"))
            set.releaseAll()
        }
    }

    func testWaitLockWaitsForTheHolderToFinish() async throws {
        let first = LockSet(directory: dir, holder: holder("run-1"))
        _ = try await first.acquire(["db"], wait: nil)
        Task {
            try await Task.sleep(nanoseconds: 400_000_000)
            first.releaseAll()
        }
        let second = LockSet(directory: dir, holder: holder("run-2"))
        let started = Date()
        _ = try await second.acquire(["db"], wait: 5)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.3)
        second.releaseAll()
    }

    func testWaitLockGivesUpAfterTheDuration() async throws {
        let first = LockSet(directory: dir, holder: holder("run-1"))
        _ = try await first.acquire(["db"], wait: nil)
        defer { first.releaseAll() }
        let second = LockSet(directory: dir, holder: holder("run-2"))
        let started = Date()
        do {
            _ = try await second.acquire(["db"], wait: 0.3)
            XCTFail("got a held lock")
        } catch is LockSet.Busy {
            XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.3)
        }
    }

    func testLockLeftByADeadProcessIsTakenOverAndReported() async throws {
        // A holder record as a killed run leaves it: written, never released, its pid gone.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let stale = LockHolder(runID: "run-dead", pid: dead.processIdentifier, host: Identity.host, since: Date(), processStart: 1)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(stale).write(to: URL(fileURLWithPath: RunLock(name: "db", directory: dir).path))

        let set = LockSet(directory: dir, holder: holder("run-new"))
        let takeovers = try await set.acquire(["db"], wait: nil)
        XCTAssertEqual(takeovers.map(\.0), ["db"])
        XCTAssertEqual(takeovers.first?.1.runID, "run-dead")
        set.releaseAll()
    }
}
