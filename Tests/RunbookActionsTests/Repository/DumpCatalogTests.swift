import Foundation
@testable import RunbookActions
import XCTest

/// Choosing what a restore takes from the repository's dump records, and refusing a fetch
/// whose records could not take effect in the local manifest. Pure logic on hand-made records.
final class DumpCatalogTests: XCTestCase {
    func record(_ database: String, _ path: String, finished: TimeInterval, verified: Bool = true,
                kind: DumpRecord.Kind = .database, sha: String = "aa", format: DumpFormat = .custom) -> DumpRecord {
        DumpRecord(database: database, kind: kind, format: format, path: path, size: 10, sha256: sha, serverVersion: "15",
                   startedAt: Date(timeIntervalSince1970: finished - 1), finishedAt: Date(timeIntervalSince1970: finished),
                   rowCounts: nil, verified: verified, runID: nil)
    }

    func catalog(_ records: [DumpRecord], extra: [String: RepositoryManifest.Entry] = [:]) throws -> DumpCatalog {
        var entries = extra
        for r in records {
            let json = String(decoding: try DumpManifest.encoder().encode(r), as: UTF8.self)
            entries["dumps/" + r.path] = RepositoryManifest.Entry(key: "k/" + r.path, plaintextSize: r.size, plaintextSHA256: r.sha256,
                                                                  ciphertextSize: 99, ciphertextSHA256: "cc", pushedAt: "t",
                                                                  metadata: ["record": json])
        }
        return DumpCatalog(namespace: "dumps", location: "s3://b/p/ at e", entries: entries)
    }

    func testTheNewestVerifiedDumpOfEachDatabaseAndOfTheRolesIsChosenByFinishTimeNotName() throws {
        let c = try catalog([
            record("app", "app-2.dump", finished: 200),
            record("app", "app-9.dump", finished: 100),
            record("app", "app-3.dump", finished: 300, verified: false),
            record("shop", "shop-1.dump", finished: 50),
            record("globals", "globals-1.sql", finished: 90, kind: .globals, format: .plain),
            record("globals", "globals-2.sql", finished: 210, kind: .globals, format: .plain),
        ])
        XCTAssertEqual(try c.newest(databases: ["app", "shop"], globals: true).map(\.name),
                       ["dumps/app-2.dump", "dumps/shop-1.dump", "dumps/globals-2.sql"])
        XCTAssertEqual(try c.newest(databases: ["app"], globals: false).map(\.name), ["dumps/app-2.dump"])
    }

    func testADatabaseWithoutAVerifiedDumpIsNamedAndNothingIsChosen() throws {
        let unreadable = RepositoryManifest.Entry(key: "k", plaintextSize: 1, plaintextSHA256: "x", ciphertextSize: 1,
                                                  ciphertextSHA256: "y", pushedAt: "t", metadata: nil)
        let c = try catalog([record("app", "app-1.dump", finished: 1, verified: false)], extra: ["dumps/odd": unreadable])
        XCTAssertThrowsError(try c.newest(databases: ["app", "shop"], globals: true)) { error in
            XCTAssertEqual("\(error)", "the repository s3://b/p/ at e has no dump of app that is verified (1 unverified), no dump of shop, no globals dump (roles) in namespace dumps; 1 listed object(s) carry no readable record: dumps/odd")
        }
        XCTAssertThrowsError(try c.items(named: ["dumps/odd"])) { error in
            XCTAssertEqual("\(error)", "dumps/odd is listed without a readable record in the repository s3://b/p/ at e")
        }
    }

    func testAFetchIsRefusedWhereLatestWouldNotBeTheRepositorysCopy() throws {
        let c = try catalog([record("app", "app-2.dump", finished: 200)])
        let items = try c.newest(databases: ["app"], globals: false)
        var local = DumpManifest()
        local.artifacts = [record("app", "app-1.dump", finished: 100)]
        XCTAssertNoThrow(try LocalBackupDirectory.checkFits(items, into: local, manifest: "/b/manifest.json"), "an older local dump is fine")
        local.artifacts.append(record("app", "app-3.dump", finished: 300))
        XCTAssertThrowsError(try LocalBackupDirectory.checkFits(items, into: local, manifest: "/b/manifest.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/b/manifest.json records app-3.dump (finished 1970-01-01T00:05:00.000Z), newer than the repository's dumps/app-2.dump"), "\(error)")
        }
        local.artifacts = [record("app", "app-2.dump", finished: 200, sha: "other")]
        XCTAssertThrowsError(try LocalBackupDirectory.checkFits(items, into: local, manifest: "/b/manifest.json")) { error in
            XCTAssertTrue("\(error)".contains("already records app-2.dump with sha256 other"), "\(error)")
        }
    }

    func testARecordPathOutsideTheDirectoryOrADirectoryArchiveIsRefused() throws {
        for (r, expected) in [(record("app", "../etc/passwd", finished: 1), "not a file name"),
                              (record("app", "app.dir", finished: 1, format: .directory), "is a directory archive")] {
            let item = DumpCatalog.Item(name: "dumps/x", entry: RepositoryManifest.Entry(key: "k", plaintextSize: 1, plaintextSHA256: "aa",
                                                                                         ciphertextSize: 1, ciphertextSHA256: "c", pushedAt: "t"),
                                        record: r)
            XCTAssertThrowsError(try LocalBackupDirectory.checkFits([item], into: DumpManifest(), manifest: "m")) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }

    func testTheRepositorysRecordReplacesTheSameFilesRecordAndKeepsItsRestoreTests() {
        var local = DumpManifest()
        var old = record("app", "app-2.dump", finished: 200, verified: false)
        old.restoreTests = [RestoreTest(at: Date(timeIntervalSince1970: 500), restoreSeconds: 1, passed: true, detail: nil, runID: "r1")]
        local.artifacts = [old]
        LocalBackupDirectory.record(record("app", "app-2.dump", finished: 200), in: &local)
        XCTAssertEqual(local.artifacts.count, 1)
        XCTAssertTrue(local.artifacts[0].verified)
        XCTAssertEqual(local.artifacts[0].restoreTests.map(\.runID), ["r1"])
    }
}
