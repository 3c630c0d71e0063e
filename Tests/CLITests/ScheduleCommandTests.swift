import Foundation
import XCTest

/// `runbook schedule`: the units it prints are accepted by `systemd-analyze verify` (the real
/// systemd tool, offline: no running systemd is needed) and equal the golden text; what must not
/// run unattended is refused with exit 5 and the reason.
final class ScheduleCommandTests: XCTestCase {
    static let root = RunbookProcess.packageRoot.path
    static let golden = root + "/Tests/Fixtures/ops/schedule-backup.txt"

    func schedule(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try RunbookProcess.run(["schedule"] + args + ["--runbooks-dir", Self.root + "/runbooks"])
        return (r.status, r.stdout, r.stderr)
    }

    /// The `# /etc/systemd/system/NAME` sections of the output, by file name.
    static func files(_ output: String) -> [String: String] {
        var out: [String: String] = [:]
        for section in output.components(separatedBy: "# /etc/").dropFirst() {
            let header = section.prefix { $0 != "\n" }
            let name = String(header.split(separator: " ").first ?? "").components(separatedBy: "/").last ?? ""
            out[name] = String(section.dropFirst(header.count + 1))
        }
        return out
    }

    func testBackupEverySixHoursMatchesTheGolden() throws {
        let r = try schedule(["backup", "--profile", "production", "--every", "6h", "--unattended", "retention", "--unattended", "retention-offsite"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = r.stdout.replacingOccurrences(of: Self.root, with: "<REPO>")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" { try text.write(toFile: Self.golden, atomically: true, encoding: .utf8) }
        XCTAssertEqual(text, try String(contentsOfFile: Self.golden, encoding: .utf8))
    }

    func testSystemdAnalyzeVerifyAcceptsTheServiceAndTimer() throws {
        let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let analyze else { return XCTFail("systemd-analyze is not installed (apt-get install -y systemd; scripts/setup.sh does)") }
        let r = try schedule(["backup", "--profile", "production", "--on-calendar", "*-*-* 02:30:00", "--unattended", "retention", "--unattended", "retention-offsite",
                              "--binary", RunbookProcess.binary, "--unit-name", "runbook-test-backup"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = Self.files(r.stdout)
        XCTAssertEqual(Set(files.keys), ["runbook-test-backup.service", "runbook-test-backup.timer", "runbook-test-backup"])
        XCTAssertTrue(files["runbook-test-backup.timer"]?.contains("Persistent=true\n") ?? false)
        XCTAssertTrue(files["runbook-test-backup.service"]?.contains("StandardInput=null\n") ?? false)
        XCTAssertTrue(r.stdout.contains("\n30 2 * * * root \(RunbookProcess.binary) run backup --profile production"), r.stdout)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runbook-units-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["runbook-test-backup.service", "runbook-test-backup.timer"] {
            try XCTUnwrap(files[name]).write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: analyze)
        verify.arguments = ["verify", "--man=no", dir + "/runbook-test-backup.service", dir + "/runbook-test-backup.timer"]
        let errors = Pipe()
        verify.standardError = errors
        verify.standardOutput = errors
        try verify.run()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        verify.waitUntilExit()
        XCTAssertEqual(verify.terminationStatus, 0, said)
        // Unknown keys and bad values are only warnings to systemd-analyze: there must be none.
        XCTAssertEqual(said, "", "systemd-analyze verify has remarks")
    }

    func testARecoveryIsRefused() throws {
        let r = try schedule(["disaster-recovery", "--profile", "production", "--every", "24h"])
        XCTAssertEqual(r.status, 5)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.hasPrefix("runbook: disaster-recovery is a recovery (it has an rto)"), r.stderr)
    }

    func testAChecklistIsRefused() throws {
        let r = try schedule(["before-restore-checklist", "--profile", "production", "--every", "24h"])
        XCTAssertEqual(r.status, 5)
        XCTAssertTrue(r.stderr.contains("is a manual checklist: a scheduled run has nobody to tick it"), r.stderr)
    }

    func testEveryConfirmedStepMustBeNamedToRunUnattended() throws {
        let r = try schedule(["backup", "--profile", "production", "--every", "24h"])
        XCTAssertEqual(r.status, 5)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("name each one that may run unattended with --unattended: retention (Deletes backups in"), r.stderr)
        let typo = try schedule(["backup", "--profile", "production", "--every", "24h", "--unattended", "retension"])
        XCTAssertEqual(typo.status, 5)
        XCTAssertTrue(typo.stderr.contains("--unattended retension names no confirmed step of backup; confirmed steps: retention, retention-offsite"), typo.stderr)
    }

    func testAPeriodThatDividesNoDayIsAUsageError() throws {
        let r = try schedule(["backup", "--profile", "production", "--every", "7h", "--unattended", "retention", "--unattended", "retention-offsite"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--every 7h: use a period that divides an hour or a day"), r.stderr)
    }
}
