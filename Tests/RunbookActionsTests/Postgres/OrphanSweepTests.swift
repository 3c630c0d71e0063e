import Foundation
import XCTest
@testable import RunbookActions
import RunbookCore
import RunbookEngine

/// The sweep before a dump, against directory listings taken while a parallel member starts.
final class OrphanSweepTests: XCTestCase {
    var dir = ""
    var stateDir = ""
    var context: RunContext!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "sweep-" + UUID().uuidString
        stateDir = dir + "-state"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        context = RunContext(plan: PlanContext(profile: nil, runID: "run-a", stateDir: stateDir), processes: ProcessRunner(), secrets: [:])
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: stateDir)
    }

    func sweep(next: String, listing: [String]? = nil) {
        var sweep = OrphanSweep(directory: dir, store: ManifestStore(directory: dir), nextArtifact: next)
        if let listing { sweep.list = { _ in listing } }
        sweep.run(in: context)
    }

    func write(_ name: String) {
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/" + name, contents: Data("dump".utf8)))
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/" + name) }

    /// The CI failure this guards: a member's listing showed the other member's new
    /// `.partial` but not the claim written just before it, and removed the dump in progress.
    func testAPartialWhoseClaimTheListingMissedIsKept() throws {
        try OrphanSweep.claim(directory: dir, name: "shared-1.dump", runID: "run-a")
        write("shared-1.dump.partial")
        sweep(next: "payments-1.dump", listing: ["shared-1.dump.partial"])
        XCTAssertTrue(exists("shared-1.dump.partial"))
    }

    func testAnUnclaimedPartialIsRemovedWhenNoOtherRunIsAlive() {
        write("old-1.dump.partial")
        write("notes.txt.partial")
        sweep(next: "payments-1.dump")
        XCTAssertFalse(exists("old-1.dump.partial"))
        XCTAssertTrue(exists("notes.txt.partial"), "a file that is not a dump format is never runbook's to remove")
    }

    func testAClaimAppearsWholeAndLeavesNoStagingFile() throws {
        try OrphanSweep.claim(directory: dir, name: "shared-1.dump", runID: "run-a")
        let listing = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(listing, [".shared-1.dump.inflight"])
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/.shared-1.dump.inflight"))
        let claim = try JSONDecoder().decode(OrphanSweep.Claim.self, from: data)
        XCTAssertEqual(claim.runID, "run-a")
        XCTAssertEqual(claim.pid, getpid())
    }

    func testAStagedClaimIsRemovedOnlyOnceItIsOlderThanAMinute() throws {
        write(".old-1.dump.inflight.writing")
        write(".new-1.dump.inflight.writing")
        let old = Date().addingTimeInterval(-120)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: dir + "/.old-1.dump.inflight.writing")
        sweep(next: "payments-1.dump")
        XCTAssertFalse(exists(".old-1.dump.inflight.writing"))
        XCTAssertTrue(exists(".new-1.dump.inflight.writing"))
    }
}
