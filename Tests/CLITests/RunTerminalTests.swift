import Foundation
import XCTest

/// On a real terminal (a pty from `script`): typed confirmations, ticks, colour.
final class RunTerminalTests: XCTestCase {
    var h: RunHarness!
    override func setUp() { h = RunHarness() }
    override func tearDown() { h.remove() }

    /// Runs `runbook args` under `script` (a pty), typing `lines` one by one.
    func onTerminal(_ args: [String], typing lines: [String], env: [String: String] = [:]) throws -> RunHarness.Result {
        try onTerminalTypingRaw(args, typing: lines.map { $0 + "\n" }, env: env)
    }

    /// Like `onTerminal`, typing exactly the given texts (no newline added), the first once `ready`
    /// holds and `firstDelay` has passed: a fixed delay alone loses the race on a loaded CI machine.
    func onTerminalTypingRaw(_ args: [String], typing texts: [String], env: [String: String] = [:],
                             firstDelay: Double = 0.7, ready: (() -> Bool)? = nil) throws -> RunHarness.Result {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw XCTSkip("needs script(1) from util-linux for a pty")
        }
        let command = ([RunHarness.binary] + args + ["--state-dir", h.state, "--runbooks-dir", RunHarness.runbooksDir, "--param", "dir=\(h.work)"])
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        // `exec`: script(1) runs the command through $SHELL, or /bin/sh when SHELL is unset (as in CI).
        // dash does not exec a lone command, and a shell left in the pty's foreground group dies of
        // the typed Ctrl-C, so script would report 130 instead of runbook's own exit status.
        p.arguments = ["-qec", "exec " + command, "/dev/null"]
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = nil
        environment["TERM"] = "xterm"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let input = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = err
        try p.run()
        if let ready { h.waitFor("the run to be ready for typing", ready) }
        for (i, text) in texts.enumerated() {
            usleep(useconds_t((i == 0 ? firstDelay : 0.7) * 1_000_000))
            input.fileHandleForWriting.write(Data(text.utf8))
        }
        usleep(500_000)
        try input.fileHandleForWriting.close()
        return try h.finish(p, out, err, timeout: 30)
    }

    func testOperatorTicksAndTypesTheNameToConfirm() throws {
        try FileManager.default.createDirectory(atPath: h.work + "/victim", withIntermediateDirectories: true)
        let r = try onTerminal(["run", "destructive", "--operator", "bob"], typing: ["", "wipe"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertTrue(r.stdout.contains("Type wipe to confirm"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.work + "/victim"))
        XCTAssertTrue(r.stdout.contains("\u{1B}[32m"), "colour on a terminal")
        let journal = h.journalText(try XCTUnwrap(h.runIDs.first))
        XCTAssertTrue(journal.contains("\"operatorName\" : \"bob\"") || journal.contains("\"operatorName\":\"bob\""), journal)
        XCTAssertTrue(journal.contains("\"automatic\" : false") || journal.contains("\"automatic\":false"), journal)
    }

    func testWrongNameDoesNotConfirm() throws {
        try FileManager.default.createDirectory(atPath: h.work + "/victim", withIntermediateDirectories: true)
        let r = try onTerminal(["run", "destructive"], typing: ["", "yes"])
        XCTAssertEqual(r.status, 2, r.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: h.work + "/victim"))
        XCTAssertTrue(r.stdout.contains("not confirmed"), r.stdout)
    }

    func testNoColorTurnsColourOffEvenOnATerminal() throws {
        let r = try onTerminal(["run", "parent"], typing: [], env: ["NO_COLOR": "1"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}[3"), r.stdout)
    }

    func testNoColourWithoutATerminal() throws {
        let r = try h.run(["run", "parent"], env: ["NO_COLOR": ""])
        XCTAssertEqual(r.status, 0)
        XCTAssertFalse(r.stdout.contains("\u{1B}["), r.stdout)
    }
}

extension RunTerminalTests {
    func testCtrlCOnATerminalAsksWhetherToRollBack() throws {
        // Ctrl-C typed on the pty reaches runbook (the foreground group), not the step's own group.
        // The step writes its pid after setting its trap, so Ctrl-C typed after that is trapped.
        let r = try onTerminalTypingRaw(["run", "trapped"], typing: ["\u{03}", "y\n"], firstDelay: 0.3,
                                        ready: { !self.h.file("waits.pid").isEmpty })
        XCTAssertEqual(r.status, 4, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("Roll back the 1 completed step(s)"), r.stdout)
        XCTAssertEqual(h.log, ["before", "got-INT", "undo-before"], r.stdout + r.stderr)
    }
}
