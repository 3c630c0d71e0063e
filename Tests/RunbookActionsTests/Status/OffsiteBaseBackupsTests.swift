import Foundation
@testable import RunbookActions
import XCTest

/// The repository's base backups in `info` and the metrics, from fixed manifest entries and a
/// fixed WAL listing: complete backups are those whose every file is listed with the record,
/// recoverability and the hole come from the segment names, and the series follow the newest.
final class OffsiteBaseBackupsTests: XCTestCase {
    static let now = PrometheusTextTests.at

    static func entries(_ record: BaseBackupRecord, files: [String]? = nil) throws -> [String: RepositoryManifest.Entry] {
        let metadata = try BaseBackupOffsite.metadata(record)
        var out: [String: RepositoryManifest.Entry] = [:]
        for file in files ?? record.files {
            out[BaseBackupOffsite.entryName(id: record.id, file: file)] = RepositoryManifest.Entry(
                key: "p/objects/base/\(record.id)/\(file)/x.age", plaintextSize: 10, plaintextSHA256: "a", ciphertextSize: 20,
                ciphertextSHA256: "b", pushedAt: "2025-12-05T02:00:00Z", metadata: metadata)
        }
        return out
    }

    /// b1 (start segment 2) and b2 (start 8, stopped an hour ago) complete, b3's push cut after one file;
    /// the WAL holds segments 2..9 and 11: 10 is missing.
    static func state() throws -> OffsiteBaseBackupsState {
        var b2 = CatalogTests.record("b2", start: 8, stopLSN: "0/8000100", stopTime: "2025-12-05T01:00:00.000000Z")
        b2.bytes = 5_000_000
        var entries = try entries(CatalogTests.record("b1", start: 2, stopLSN: "0/2000100", stopTime: "2025-12-04T01:00:00.000000Z"))
        entries.merge(try Self.entries(b2)) { $1 }
        entries.merge(try Self.entries(CatalogTests.record("b3", start: 12, stopLSN: "0/C000100", stopTime: "2025-12-05T01:30:00.000000Z"),
                                       files: ["base.tar.gz"])) { $1 }
        let wal = (Array(2...9) + [11]).map { WALSegment(timeline: 1, number: UInt64($0)).fileName }
        return try XCTUnwrap(OffsiteBaseBackupsState.read(entries: entries, walNames: wal, now: now))
    }

    func testCompleteRecoverableIncompleteAndTheHoleAfterTheNewest() throws {
        let state = try Self.state()
        XCTAssertEqual(state.complete, 2)
        XCTAssertEqual(state.recoverable, 2)
        XCTAssertEqual(state.incomplete, ["b3"])
        let newest = try XCTUnwrap(state.newest)
        XCTAssertEqual(newest.id, "b2")
        XCTAssertEqual(state.newestStoppedAt, Date(timeIntervalSince1970: 1_764_896_400))
        XCTAssertEqual(state.newestAgeSeconds, 3600)
        XCTAssertEqual(newest.coveredThrough, "000000010000000000000009")
        XCTAssertTrue(newest.usable)
        XCTAssertNil(newest.problem)
        XCTAssertFalse(state.newestCoversNewestSegment, "segment 0B is archived, but 0A is not")
        XCTAssertNil(OffsiteBaseBackupsState.read(entries: [:], walNames: [], now: Self.now), "an empty base/ is no section")
    }

    func testTheStartSegmentMissingIsNotRecoverable() throws {
        let entries = try Self.entries(CatalogTests.record("b1", start: 2, stopLSN: "0/2000100", stopTime: "2025-12-04T01:00:00.000000Z"))
        let state = try XCTUnwrap(OffsiteBaseBackupsState.read(entries: entries, walNames: ["000000010000000000000003"], now: Self.now))
        XCTAssertEqual(state.complete, 1)
        XCTAssertEqual(state.recoverable, 0)
        XCTAssertEqual(InventoryText.offsiteBaseBackups(state)[2],
                       "    WAL         from 000000010000000000000002 missing in the repository: NOT recoverable (the archive lacks 000000010000000000000002, the first segment the base backup needs (later segments exist))")
    }

    func testTextLines() throws {
        XCTAssertEqual(InventoryText.offsiteBaseBackups(try Self.state()), [
            "  base backups",
            "    newest      b2 stopped 2025-12-05T01:00:00Z (1h ago), 4.8 MiB",
            "    WAL         000000010000000000000008..000000010000000000000009 in the repository: recoverable, but only through 000000010000000000000009: later WAL in the repository is out of its reach (a hole, or another timeline)",
            "    kept        2 complete, 2 recoverable from the repository's WAL",
            "    incomplete  b3 (a push that never finished: never chosen, the next retention deletes it)",
        ])
        XCTAssertEqual(InventoryText.offsiteBaseBackups(nil), ["  base backups none in the repository"])
    }

    func testANewestBackupWhoseWALRunsToTheNewestSegmentSaysSo() throws {
        let entries = try Self.entries(CatalogTests.record("b1", start: 2, stopLSN: "0/2000100", stopTime: "2025-12-04T01:00:00.000000Z"))
        let wal = (2...4).map { WALSegment(timeline: 1, number: UInt64($0)).fileName }
        let state = try XCTUnwrap(OffsiteBaseBackupsState.read(entries: entries, walNames: wal, now: Self.now))
        XCTAssertTrue(state.newestCoversNewestSegment)
        XCTAssertEqual(InventoryText.offsiteBaseBackups(state)[2],
                       "    WAL         000000010000000000000002..000000010000000000000004 in the repository: recoverable, unbroken to the newest segment")
        XCTAssertFalse(InventoryText.offsiteBaseBackups(state).contains { $0.hasPrefix("    incomplete") })
    }

    func testSeries() throws {
        var offsite = OffsiteInventoryTests.readable()
        offsite.baseBackups = try Self.state()
        let text = OffsiteMetrics.families(offsite).map { $0.text(constantLabels: [:]) }.joined()
        let samples = text.split(separator: "\n").filter { $0.hasPrefix("runbook_offsite_base") }
        XCTAssertEqual(samples, [
            "runbook_offsite_base_backups{usable=\"true\"} 2",
            "runbook_offsite_base_backups{usable=\"false\"} 0",
            "runbook_offsite_base_backups_incomplete 1",
            "runbook_offsite_base_backup_timestamp_seconds 1764896400",
            "runbook_offsite_base_backup_size_bytes 5000000",
        ])
    }
}
