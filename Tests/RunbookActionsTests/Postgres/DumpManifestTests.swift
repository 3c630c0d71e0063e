@testable import RunbookActions
import XCTest

final class DumpManifestTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "manifest-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testRoundTripKeepsEveryFieldWithMillisecondTimes() throws {
        let store = ManifestStore(directory: dir)
        let finished = Date(timeIntervalSince1970: 1_705_287_600.123)
        var record = ManifestFixtures.record("a.dump", database: "shared_services_db", finished: finished)
        record.restoreTests = [RestoreTest(at: finished.addingTimeInterval(100), restoreSeconds: 12.5, passed: true, detail: "ok", runID: "v1")]
        try store.update { $0.artifacts.append(record) }
        let read = try store.read()
        XCTAssertEqual(read.artifacts, [record])
        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"finished_at\" : \"2024-01-15T03:00:00.123Z\""), text)
        XCTAssertTrue(text.contains("\"row_counts\""))
        XCTAssertTrue(text.contains("\"restore_seconds\" : 12.5"))
    }

    func testLatestVerifiedIsByRecordedFinishTimeAndSkipsUnverifiedAndOtherDatabases() {
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        let manifest = DumpManifest(artifacts: [
            ManifestFixtures.record("z-oldest.dump", database: "a", finished: t),
            ManifestFixtures.record("b-newest-verified.dump", database: "a", finished: t.addingTimeInterval(20)),
            ManifestFixtures.record("c-newer-unverified.dump", database: "a", finished: t.addingTimeInterval(30), verified: false),
            ManifestFixtures.record("d-other-db.dump", database: "b", finished: t.addingTimeInterval(40)),
            ManifestFixtures.record("e-globals.sql", database: "a", finished: t.addingTimeInterval(50), kind: .globals),
        ])
        XCTAssertEqual(manifest.latestVerified(database: "a")?.path, "b-newest-verified.dump")
        XCTAssertNil(manifest.latestVerified(database: "missing"))
    }

    func testConcurrentUpdatesLoseNothing() async throws {
        let store = ManifestStore(directory: dir)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for i in 0..<5 {
                        try? store.update { $0.artifacts.append(ManifestFixtures.record("w\(worker)-\(i).dump", database: "d", finished: Date())) }
                    }
                }
            }
        }
        XCTAssertEqual(Set(try store.read().artifacts.map(\.path)).count, 20)
    }

    func testACorruptManifestIsReportedAndNeverOverwritten() throws {
        let store = ManifestStore(directory: dir)
        try Data("{\"artifacts\": [".utf8).write(to: URL(fileURLWithPath: store.path))
        XCTAssertThrowsError(try store.update { $0.artifacts = [] }) { error in
            XCTAssertTrue("\(error)".contains("is not a valid backup manifest"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: store.path, encoding: .utf8), "{\"artifacts\": [")
    }

    func testAManifestFromANewerVersionIsRefused() throws {
        let store = ManifestStore(directory: dir)
        try Data("{\"version\": 99, \"artifacts\": []}".utf8).write(to: URL(fileURLWithPath: store.path))
        XCTAssertThrowsError(try store.read()) { XCTAssertTrue("\($0)".contains("version 99"), "\($0)") }
    }

    func testDirectoryDigestChangesWhenAnyFileChanges() throws {
        let archive = dir + "/x.dir"
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: archive + "/toc.dat", contents: Data("toc".utf8))
        _ = FileManager.default.createFile(atPath: archive + "/3001.dat.gz", contents: Data("rows".utf8))
        let before = try DumpDigest.sha256(of: archive)
        XCTAssertEqual(before, try DumpDigest.sha256(of: archive), "stable")
        _ = FileManager.default.createFile(atPath: archive + "/3001.dat.gz", contents: Data("rowz".utf8))
        XCTAssertNotEqual(before, try DumpDigest.sha256(of: archive))
    }

    func testFileDigestIsSha256() throws {
        let path = dir + "/abc"
        _ = FileManager.default.createFile(atPath: path, contents: Data("abc".utf8))
        XCTAssertEqual(try DumpDigest.sha256(of: path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
