import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// The offsite repository's part of `info` and the metrics for fixed states: the series it
/// exports (and leaves out when unreadable), the `--max-offsite-age` breaches, the read's
/// deadline, and which target and secrets the reader takes from a profile.
final class OffsiteInventoryTests: XCTestCase {
    static let location = "s3://b/p/ at http://s3.example"

    static func readable() -> OffsiteRepositoryState {
        let local = PrometheusTextTests.inventory().databases[0]
        return OffsiteRepositoryState(configured: true, target: "offsite", location: location, readable: true, problem: nil,
                                      databases: [local], globals: nil,
                                      media: OffsiteMediaState(objects: 3, totalBytes: 6000, lastPushAt: PrometheusTextTests.at, ageSeconds: 0),
                                      wal: nil, unreadableEntries: [], note: "read 1 dump without decrypting anything")
    }

    func testAReadableRepositoryExportsItsSeries() {
        let text = OffsiteMetrics.families(Self.readable()).map { $0.text(constantLabels: [:]) }.joined()
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(samples, [
            "runbook_offsite_repository_configured 1",
            "runbook_offsite_up 1",
            "runbook_offsite_backup_timestamp_seconds{database=\"app_db\"} 1764896400",
            "runbook_offsite_backup_size_bytes{database=\"app_db\"} 4096",
            "runbook_offsite_backups_kept{database=\"app_db\"} 3",
            "runbook_offsite_verified{database=\"app_db\"} 1",
            "runbook_offsite_last_restore_test_timestamp_seconds{database=\"app_db\"} 1764899940",
            "runbook_offsite_last_restore_test_success{database=\"app_db\"} 1",
            "runbook_offsite_media_objects 3",
            "runbook_offsite_media_size_bytes 6000",
            "runbook_offsite_media_timestamp_seconds 1764900000",
        ])
    }

    func testAnUnreadableRepositoryExportsUpZeroAndNoStaleFacts() {
        let state = OffsiteRepositoryState.unreadable(target: "offsite", location: Self.location, problem: "cannot reach S3 endpoint http://s3.example: connection refused")
        var inventory = PrometheusTextTests.inventory()
        inventory.offsite = state
        let text = PrometheusText.render(inventory)
        XCTAssertTrue(text.contains("runbook_offsite_repository_configured{profile=\"prod\"} 1\n"), text)
        XCTAssertTrue(text.contains("runbook_offsite_up{profile=\"prod\"} 0\n"), text)
        XCTAssertFalse(text.contains("runbook_offsite_backup_timestamp_seconds"), text)
        XCTAssertTrue(InventoryText.render(inventory, breaches: []).contains(
            "offsite repository (offsite: \(Self.location))\n  NOT READABLE: cannot reach S3 endpoint http://s3.example: connection refused\n"))
    }

    func testMaxOffsiteAgeNamesEachStaleOrMissingCopy() {
        var inventory = PrometheusTextTests.inventory()
        inventory.databases.append(DatabaseBackups(database: "local_only_db", newest: nil, kept: 1, lastChecksum: nil, lastRestoreTest: nil))
        inventory.globals = GlobalsBackups(newest: nil, kept: 1)
        inventory.offsite = Self.readable()
        XCTAssertEqual(InventoryThresholds(maxOffsiteAge: 1800).breaches(of: inventory), [
            "offsite app_db: newest backup is 1h old (max-offsite-age 30m)",
            "offsite local_only_db: no verified backup in the repository",
            "offsite roles: no verified roles dump in the repository",
        ])
        inventory.offsite = .unreadable(target: "offsite", location: Self.location, problem: "x")
        XCTAssertEqual(InventoryThresholds(maxOffsiteAge: 1800).breaches(of: inventory), ["offsite: repository \(Self.location) cannot be read"])
        inventory.offsite = .notConfigured
        XCTAssertEqual(InventoryThresholds(maxOffsiteAge: 1800).breaches(of: inventory), ["offsite: the profile has no repository target (max-offsite-age)"])
        XCTAssertEqual(InventoryThresholds(maxBackupAge: 7200).breaches(of: PrometheusTextTests.inventory()), [], "no offsite threshold, no offsite breach")
    }

    func testAReadThatDoesNotAnswerInTimeIsUnreachable() async {
        let started = Date()
        do {
            _ = try await OffsiteRepositoryReader.withDeadline(1, endpoint: "http://s3.example") { () async throws -> Int in
                try await Task.sleep(nanoseconds: 20_000_000_000)
                return 1
            }
            XCTFail("no error")
        } catch {
            XCTAssertEqual("\(error)", "cannot reach S3 endpoint http://s3.example: no answer within 1s")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "the slow read was cancelled, not waited for")
    }

    func testTheReaderTakesTheOffsiteTargetAndOnlyItsCredentialSecrets() throws {
        let target = RepositoryTarget(endpoint: "http://s3.example", bucket: "b", prefix: "p/", accessKey: .secret("repo_access_key"),
                                      secretKey: .secret("repo_secret_key"), recipients: ["age1x"])
        let other = RepositoryTarget(endpoint: "http://other", bucket: "o", accessKey: .literal("k"), secretKey: .secret("other_secret"), recipients: ["age1x"])
        let at = SourceLocation(file: "p.yaml", line: 1, column: 1)
        let secrets = ["repo_access_key", "repo_secret_key", "repo_identity", "other_secret"].map { SecretDecl(name: $0, env: "ENV_" + $0, file: nil, location: at) }
        let profile = Profile(name: "p", path: "p.yaml", secrets: secrets,
                              targets: [TargetDecl(name: "archive", binding: .repository(other), location: at),
                                        TargetDecl(name: "offsite", binding: .repository(target), location: at)])
        let reader = try XCTUnwrap(OffsiteRepositoryReader(profile: profile, environment: ["ENV_repo_access_key": "a", "ENV_repo_secret_key": "s"]))
        XCTAssertEqual(reader.targetName, "offsite")
        XCTAssertEqual(reader.credentialSecrets.map(\.name), ["repo_access_key", "repo_secret_key"], "never the identity")
        XCTAssertEqual(try reader.credentials(), ["repo_access_key": "a", "repo_secret_key": "s"])
        XCTAssertNil(OffsiteRepositoryReader(profile: Profile(name: "p", path: "p.yaml")))
    }
}
