import Foundation
import XCTest

/// Snapshot of `runbook plan` for every shipped runbook against the production profile:
/// a change in what a runbook would run shows up in review as a diff of these files.
/// Regenerate with `UPDATE_SNAPSHOTS=1 swift test --filter ShippedRunbookPlanTests`.
final class ShippedRunbookPlanTests: XCTestCase {
    /// Params for runbooks that require some; every other runbook plans with its defaults.
    static let requiredParams: [String: [String]] = [
        "restore-database": ["dump=/backups/aqstream/shared_services_db-20240115-030000.dump"],
        "restore-clean": ["dump=/backups/aqstream/shared_services_db-20240115-030000.dump"],
        "pitr": ["target_time=2024-01-15T14:30:00Z"],
    ]

    /// Plans of other params worth reviewing: `runbook-variant` snapshots.
    static let variants: [(runbook: String, variant: String, params: [String])] = [
        ("disaster-recovery", "source-repository", ["source=repository"]),
        ("verify-backup", "source-repository", ["source=repository"]),
        ("restore-database", "source-repository", ["source=repository"]),
        ("base-backup", "offsite", ["offsite=true"]),
        ("base-backup", "offsite-no-local-copy", ["offsite=true", "keep_local=false"]),
        ("pitr", "source-repository", ["target_time=2024-01-15T14:30:00Z", "source=repository", "flush_wal=false"]),
    ]

    func testEveryShippedRunbookPlansAsSnapshotted() throws {
        let root = RunbookBinary.repoRoot
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/runbooks")
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names { try checkSnapshot(name, params: Self.requiredParams[name] ?? [], file: name) }
        for v in Self.variants { try checkSnapshot(v.runbook, params: v.params, file: "\(v.runbook).\(v.variant)") }
    }

    private func checkSnapshot(_ name: String, params: [String], file: String) throws {
        let root = RunbookBinary.repoRoot
        let update = ProcessInfo.processInfo.environment["UPDATE_SNAPSHOTS"] == "1"
        var args = ["plan", name, "--profile", "production", "--at", "2024-01-15T03:00:00Z", "--state-dir", "/var/lib/runbook"]
        for p in params { args += ["--param", p] }
        let out = try RunbookBinary.run(args)
        XCTAssertEqual(out.status, 0, "\(name): \(out.stderr)")
        XCTAssertFalse(out.stdout.contains("! cannot plan"), "\(name) has steps that cannot be planned:\n\(out.stdout)")
        let snapshot = root + "/Tests/Fixtures/plans/\(file).txt"
        if update {
            try out.stdout.write(toFile: snapshot, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOfFile: snapshot, encoding: .utf8) else {
            XCTFail("no snapshot for \(file); run with UPDATE_SNAPSHOTS=1 and review the new file")
            return
        }
        XCTAssertEqual(out.stdout, expected, "plan of \(file) changed; review and regenerate with UPDATE_SNAPSHOTS=1")
    }

    func testActionReferenceDocMatchesTheDeclarations() throws {
        let out = try RunbookBinary.run(["actions", "--format", "markdown"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let path = RunbookBinary.repoRoot + "/docs/actions.md"
        if ProcessInfo.processInfo.environment["UPDATE_SNAPSHOTS"] == "1" {
            try out.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(out.stdout, committed, "docs/actions.md is stale: run `runbook actions --format markdown > docs/actions.md`")
    }
}
