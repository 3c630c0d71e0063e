import Foundation
import XCTest

/// A secret reaches the child through its environment and nowhere else: not the
/// audit trail, not the journal, not the terminal, not any process's argv.
final class RunSecretsTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    func testSecretValueAppearsInNoRecordAndNoCommandLine() throws {
        let secret = "s3cr3t-\(UUID().uuidString.prefix(12))"
        let base64 = Data(secret.utf8).base64EncodedString()
        let (p, out, err) = h.process(["run", "steps-ok"], env: ["RB_CLI_TOKEN": secret])
        try p.run()

        // While the step that holds the secret sleeps, look at every process on the machine.
        var sawChildWithSecret = false
        let deadline = Date().addingTimeInterval(20)
        while p.isRunning && Date() < deadline {
            for entry in ProcessTable.all() {
                XCTAssertFalse(entry.cmdline.contains(secret), "pid \(entry.pid) has the secret in argv: \(entry.cmdline)")
                if entry.cmdline.contains("sleep 1.5"),
                   let environ = FileManager.default.contents(atPath: "/proc/\(entry.pid)/environ"),
                   String(decoding: environ, as: UTF8.self).contains("TOKEN=\(secret)") {
                    sawChildWithSecret = true
                }
            }
            usleep(50_000)
        }
        let r = try h.finish(p, out, err)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(sawChildWithSecret, "the secret must reach the child through its environment")
        XCTAssertTrue(h.log.contains("with-secret"))

        let id = try XCTUnwrap(h.runIDs.first)
        for (name, text) in [("stdout", r.stdout), ("stderr", r.stderr), ("audit", h.auditText), ("journal", h.journalText(id))] {
            XCTAssertFalse(text.contains(secret), "\(name) contains the secret")
            XCTAssertFalse(text.contains(base64), "\(name) contains the secret in base64")
        }
        // Every file runbook keeps (journal snapshot and log, locks, audit trail), not just the main ones.
        let files = FileManager.default.enumerator(atPath: h.state)?.allObjects.compactMap { $0 as? String } ?? []
        XCTAssertGreaterThan(files.count, 3)
        for file in files {
            let text = String(decoding: FileManager.default.contents(atPath: h.state + "/" + file) ?? Data(), as: UTF8.self)
            XCTAssertFalse(text.contains(secret) || text.contains(base64), "\(file) contains the secret")
        }
        XCTAssertTrue(r.stdout.contains("token is [secret:token]"), r.stdout)
        XCTAssertTrue(h.journalText(id).contains("[secret:token]"))
    }
}
