import Foundation

/// Human output: one line per finished step with its elapsed time, and — on a
/// terminal — a live region under it showing each running step with a ticking
/// clock and the last lines of its output. Without a terminal the output lines
/// are printed as they come, indented, so logs keep everything.
public final class TextReporter: RunReporter, @unchecked Sendable {
    private let style: TerminalStyle
    private let fd: Int32
    private let tailLines: Int
    private let lock = NSLock()
    private var running: [(path: String, started: Date, tail: [String])] = []
    private var liveHeight = 0
    private var paused = false
    private var timer: DispatchSourceTimer?

    public init(style: TerminalStyle, fd: Int32 = STDOUT_FILENO, tailLines: Int = 4) {
        self.style = style
        self.fd = fd
        self.tailLines = tailLines
        if style.isTTY {
            let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
            t.schedule(deadline: .now() + 1, repeating: 1)
            t.setEventHandler { [weak self] in self?.redraw() }
            t.resume()
            timer = t
        }
    }

    deinit { timer?.cancel() }

    public func report(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        var lines: [String] = []
        switch event {
        case .runStarted(let id, let runbook, let resumed):
            lines.append(style.bold("\(resumed ? "resuming" : "running") \(runbook)") + style.dim("  run \(id)"))
        case .stepStarted(let path, let title):
            running.append((path, Date(), []))
            if !style.isTTY { lines.append("  … \(path)\(title.map { "  \($0)" } ?? "")") }
        case .stepSkipped(let path, let reason):
            lines.append("  " + style.dim("- \(pad(path)) skipped: \(reason)"))
        case .output(let path, let line):
            if style.isTTY {
                if let i = running.lastIndex(where: { $0.path == path }) {
                    running[i].tail.append(line)
                    if running[i].tail.count > tailLines { running[i].tail.removeFirst() }
                }
            } else {
                lines.append(style.dim("    │ ") + line)
            }
        case .check(let path, let check, let phase, let passed, let message):
            let mark = passed ? style.green("✓") : style.red("✗")
            let why = message.map { ": \($0)" } ?? ""
            if !passed || !style.isTTY { lines.append("    \(mark) \(phase) \(check) (\(path))\(passed ? "" : why)") }
        case .retrying(let path, let attempt, let of, let delay, let message):
            lines.append("  " + style.yellow("↻ \(pad(path)) attempt \(attempt)/\(of) failed\(message.map { ": \($0)" } ?? ""); retrying in \(format(delay))"))
        case .stepFinished(let path, let state, let duration, let message):
            running.removeAll { $0.path == path }
            lines.append("  " + finishedLine(path: path, state: state, duration: duration, message: message))
        case .rollbackStarted(let path):
            running.append(("rollback \(path)", Date(), []))
            if !style.isTTY { lines.append("  … rollback \(path)") }
        case .rollbackFinished(let path, let ok, let duration, let message):
            running.removeAll { $0.path == "rollback \(path)" }
            let mark = ok ? style.green("↺") : style.red("✗")
            let text = "\(mark) \(pad("rollback " + path)) \(style.dim(format(duration)))"
            lines.append("  " + text + (ok ? "" : "  " + style.red(message ?? "rollback failed")))
        case .notice(let text):
            lines.append(style.yellow("note: ") + text)
        case .rto(let outcome):
            lines.append(rtoLine(outcome))
        case .runFinished(let id, let status, let duration, let message):
            running.removeAll()
            lines.append(summary(id: id, status: status, duration: duration, message: message))
        }
        emit(lines)
    }

    public func pause() {
        lock.lock()
        paused = true
        clearLive()
        lock.unlock()
    }

    public func resume() {
        lock.lock()
        paused = false
        drawLive()
        lock.unlock()
    }

    private func finishedLine(path: String, state: StepState, duration: Double, message: String?) -> String {
        let time = style.dim(format(duration))
        switch state {
        case .succeeded: return "\(style.green("✓")) \(pad(path)) \(time)"
        case .skipped: return style.dim("- \(pad(path)) skipped")
        case .continued: return "\(style.yellow("!")) \(pad(path)) \(time)  \(style.yellow("failed, continuing: " + (message ?? "")))"
        case .interrupted: return "\(style.yellow("■")) \(pad(path)) \(time)  \(style.yellow("interrupted"))"
        default: return "\(style.red("✗")) \(pad(path)) \(time)  \(style.red(message ?? state.rawValue))"
        }
    }

    private func summary(id: String, status: RunStatus, duration: Double, message: String?) -> String {
        let extra = message.map { " — \($0)" } ?? ""
        switch status {
        case .succeeded: return style.green("succeeded") + " in \(format(duration))" + extra
        case .completedWithFailures: return style.yellow("completed with failures") + " in \(format(duration))" + extra
        case .rolledBack: return style.red("failed") + ", completed steps rolled back, in \(format(duration))" + extra
        case .failed: return style.red("failed") + " in \(format(duration))" + extra
        case .rollbackFailed: return style.red("failed, and a rollback failed too: manual attention needed") + extra
        case .interrupted: return style.yellow("interrupted") + " after \(format(duration))" + extra
        case .refused: return style.red("refused") + extra
        case .running: return "running" + extra
        }
    }

    private func rtoLine(_ outcome: RTOOutcome) -> String {
        switch outcome {
        case .achieved(let r):
            let line = outcome.text + (r.seconds >= 120 ? style.dim("  (\(format(r.seconds)))") : "")
            return r.met ? line : style.red(line)
        case .notReached: return style.yellow(outcome.text)
        }
    }

    private func pad(_ s: String) -> String { s.count >= 28 ? s : s + String(repeating: " ", count: 28 - s.count) }

    func format(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        if seconds < 120 { return String(format: "%.0fs", seconds) }
        return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
    }

    // MARK: - Live region (TTY only)

    private func emit(_ lines: [String]) {
        if style.isTTY { clearLive() }
        if !lines.isEmpty { RawOutput.write(lines.joined(separator: "\n") + "\n", to: fd) }
        if style.isTTY && !paused { drawLive() }
    }

    private func redraw() {
        lock.lock()
        defer { lock.unlock() }
        guard !paused, !running.isEmpty else { return }
        clearLive()
        drawLive()
    }

    private func clearLive() {
        guard liveHeight > 0 else { return }
        RawOutput.write("\u{1B}[\(liveHeight)A\u{1B}[J", to: fd)
        liveHeight = 0
    }

    private func drawLive() {
        guard style.isTTY, !running.isEmpty else { return }
        var lines: [String] = []
        let width = Self.terminalWidth(fd)
        for r in running {
            lines.append("  \(style.yellow("⏵")) \(pad(r.path)) \(style.dim(format(Date().timeIntervalSince(r.started))))")
            for t in r.tail { lines.append(style.dim("    │ " + String(t.prefix(max(10, width - 8))))) }
        }
        RawOutput.write(lines.joined(separator: "\n") + "\n", to: fd)
        liveHeight = lines.count
    }

    static func terminalWidth(_ fd: Int32) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 100
    }
}
