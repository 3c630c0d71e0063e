import XCTest
import RunbookCore
import RunbookEngine
@testable import RunbookActions

/// Decisions actions take from what commands answer (restart or not, what to prune, when to
/// refuse), with scripted answers. The real behaviour is proven against PostgreSQL in IntegrationTests.
final class PITRDecisionTests: XCTestCase {
    let plans = PITRFixture()

    func context(_ processes: ScriptedProcesses, audit: @escaping @Sendable (String, [String: Value]) -> Void = { _, _ in }) -> RunContext {
        RunContext(plan: plans.context, processes: processes, secrets: [:], audit: audit)
    }

    func catalogJSON(_ backups: [BaseBackupRecord]) throws -> String {
        String(decoding: try BaseBackupCatalog(backups: backups).encoded(), as: UTF8.self)
    }

    func testConfigureArchivingRestartsOnlyWhenWalLevelOrArchiveModeChange() async throws {
        for (before, expectRestart) in [("replica|off", true), ("minimal|on", true), ("replica|on", false), ("logical|on", false)] {
            let p = ScriptedProcesses()
            let parts = before.split(separator: "|")
            let command = ArchiveCommands.archiveCommand(archiveDir: "/arch")
            let settled = "archive_command|\(command)\narchive_mode|on\narchive_timeout|5\nwal_level|\(parts[0] == "logical" ? "logical" : "replica")\n"
            // First reading: the old settings; later readings: the new ones.
            let fake = ScriptedSettings(first: "archive_command|\narchive_mode|\(parts[1])\narchive_timeout|0\nwal_level|\(parts[0])\n", then: settled)
            let runner = RoutingProcesses(base: p) { argv in
                guard argv.contains(where: { $0.hasPrefix("SELECT name, setting FROM pg_settings") }) else { return nil }
                return fake.next()
            }
            p.on(containing: "mkdir")
            p.on({ $0.contains("test") })
            p.on(containing: "ALTER SYSTEM")
            p.on(containing: "restart")
            p.on({ $0.last == "SELECT 1" })
            let a = ConfigureArchiving()
            let result = try await a.run(plans.call(a, ["archive_dir": .string("/arch"), "archive_timeout": .string("5s"),
                                                        "server_user": .string("postgres")]),
                                         in: RunContext(plan: plans.context, processes: runner, secrets: [:]))
            XCTAssertTrue(result.succeeded, "\(before): \(result.message ?? "")")
            XCTAssertEqual(result.outputs["restarted"], .bool(expectRestart), before)
            XCTAssertEqual(p.argvs.contains { $0.last == "restart" }, expectRestart, before)
            XCTAssertEqual(p.argvs.contains { $0.last == "SELECT 1" }, expectRestart, "after a restart, waits until the server answers (\(before))")
            let alter = p.argvs.first { $0.contains { $0.hasPrefix("ALTER SYSTEM SET wal_level") } } ?? []
            XCTAssertTrue(alter.contains(parts[0] == "logical" ? "ALTER SYSTEM SET wal_level = 'logical'" : "ALTER SYSTEM SET wal_level = 'replica'"),
                          "wal_level is never lowered (\(before))")
        }
    }

    func testConfigureArchivingWithoutPermissionToRestartFailsAndSaysWhy() async throws {
        let p = ScriptedProcesses()
        p.on({ $0.contains { $0.hasPrefix("SELECT name, setting") } }, stdout: "archive_command|\narchive_mode|off\narchive_timeout|0\nwal_level|replica\n")
        p.on(containing: "mkdir")
        p.on({ $0.contains("test") })
        p.on(containing: "ALTER SYSTEM")
        let a = ConfigureArchiving()
        let result = try await a.run(plans.call(a, ["archive_dir": .string("/arch"), "restart": .bool(false), "server_user": .string("postgres")]),
                                     in: context(p))
        XCTAssertFalse(result.succeeded)
        XCTAssertTrue(result.message?.contains("need a restart") ?? false, result.message ?? "")
        XCTAssertFalse(p.argvs.contains { $0.last == "restart" })
    }

    func testPruneDeletesOnlyWhatNoCatalogedBackupNeedsAndAuditsEachFile() async throws {
        let p = ScriptedProcesses()
        let catalog = try catalogJSON([
            CatalogTests.record("b2", start: 8, stopLSN: "0/8000100", stopTime: "2024-01-15T12:00:00Z"),
            CatalogTests.record("b1", start: 4, stopLSN: "0/4000100", stopTime: "2024-01-15T06:00:00Z"),
        ])
        p.on({ $0.first == "cat" }, stdout: catalog)
        p.on({ $0.first == "test" })
        p.on({ $0.first == "stat" }, stdout: "postgres\n")
        p.on({ $0.first == "ls" }, stdout: (1...9).map { WALSegment(timeline: 1, number: UInt64($0)).fileName }.joined(separator: "\n")
             + "\n00000002.history\n000000010000000000000003.00000028.backup\n")
        p.on({ $0.contains("rm") })
        let audited = AuditLog()
        let a = PruneWAL()
        let result = try await a.run(plans.call(a, ["archive_dir": .string("/arch"), "backup_dir": .string("/b")]),
                                     in: context(p, audit: { e, f in audited.add(e, f) }))
        XCTAssertTrue(result.succeeded, result.message ?? "")
        XCTAssertEqual(result.outputs["pruned"], .int(4))
        XCTAssertEqual(result.outputs["oldest_needed"], .string("000000010000000000000004"))
        let rm = p.argvs.filter { $0.contains("rm") }
        XCTAssertEqual(rm, [["runuser", "-u", "postgres", "--", "rm", "-f", "--",
                             "/arch/000000010000000000000001", "/arch/000000010000000000000002",
                             "/arch/000000010000000000000003", "/arch/000000010000000000000003.00000028.backup"]])
        XCTAssertEqual(audited.files, ["/arch/000000010000000000000001", "/arch/000000010000000000000002",
                                       "/arch/000000010000000000000003", "/arch/000000010000000000000003.00000028.backup"])
    }

    func testPruneRefusesWithAnEmptyCatalogOrAMissingBackup() async throws {
        let a = PruneWAL()
        let empty = ScriptedProcesses()
        empty.on({ $0.first == "test" }, status: 1)
        var result = try await a.run(plans.call(a, ["archive_dir": .string("/arch"), "backup_dir": .string("/b")]), in: context(empty))
        XCTAssertFalse(result.succeeded)
        XCTAssertTrue(result.message?.contains("lists no base backup") ?? false)
        XCTAssertFalse(empty.argvs.contains { $0.contains("rm") })

        let gone = ScriptedProcesses()
        gone.on({ $0 == ["test", "-f", "/b/catalog.json"] })
        gone.on({ $0.first == "cat" }, stdout: try catalogJSON([CatalogTests.record("b1", start: 4, stopLSN: "0/4000100", stopTime: "2024-01-15T06:00:00Z")]))
        gone.on({ $0.first == "test" }, status: 1)
        result = try await a.run(plans.call(a, ["archive_dir": .string("/arch"), "backup_dir": .string("/b")]), in: context(gone))
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.message, "the catalog lists backup b1 but /b/b1 is gone; fix the catalog before pruning (nothing pruned)")
        XCTAssertFalse(gone.argvs.contains { $0.contains("rm") })
    }
}

/// Answers some commands itself, passing the rest to `base`.
final class RoutingProcesses: ProcessRunning, @unchecked Sendable {
    let base: ScriptedProcesses
    let route: ([String]) -> String?
    init(base: ScriptedProcesses, route: @escaping ([String]) -> String?) {
        self.base = base
        self.route = route
    }
    func run(_ command: CommandLine, environment: [String: String], timeout: Double?,
             onOutput: (@Sendable (String) -> Void)?) async throws -> ProcessResult {
        if let out = route(command.argv) { return ProcessResult(status: .exited(0), stdout: Data(out.utf8)) }
        return try await base.run(command, environment: environment, timeout: timeout, onOutput: onOutput)
    }
}

final class ScriptedSettings: @unchecked Sendable {
    let first: String
    let then: String
    var served = 0
    init(first: String, then: String) {
        self.first = first
        self.then = then
    }
    func next() -> String {
        served += 1
        return served == 1 ? first : then
    }
}

final class AuditLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(String, [String: Value])] = []
    func add(_ e: String, _ f: [String: Value]) { lock.withLock { events.append((e, f)) } }
    var files: [String] { lock.withLock { events.filter { $0.0 == "pitr.prune-wal.delete" }.compactMap { $0.1["file"]?.stringValue } } }
}
