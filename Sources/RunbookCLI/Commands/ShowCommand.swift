import ArgumentParser
import Foundation
import RunbookCore
import RunbookEngine

/// `runbook show RUN_ID`: one run's journal: params, steps, who confirmed what.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run: its params, steps, outputs and confirmations.")

    @Argument(help: "The run id (see runbook history).")
    var runID: String

    @Option(name: .customLong("state-dir"), help: "State directory to read.")
    var stateDir: String?

    @Option(help: "text, or json (the journal itself).")
    var format: RunOutputFormat = .text

    func run() async throws {
        let state = StateDirectory.resolve(stateDir)
        guard RunID.isValid(runID) else { throw ValidationError("\"\(runID)\" is not a run id (like 20261126T130501Z-ab12cd)") }
        let journal: RunJournal
        do { journal = try JournalStore.load(path: state.journalPath(runID)) } catch {
            Refusal.exit("no run \(runID) in \(state.root)", .invalid)
        }
        if format == .json {
            let data = try JournalStore.encoder().encode(journal)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var lines: [String] = []
        lines.append("run       \(journal.runID)")
        lines.append("runbook   \(journal.runbook)  (\(journal.runbookPath), sha256 \(journal.runbookDigest.prefix(12)))")
        if let p = journal.profile { lines.append("profile   \(p)  (sha256 \((journal.profileDigest ?? "").prefix(12)))") }
        lines.append("status    \(journal.status.rawValue)\(journal.message.map { ": \($0)" } ?? "")")
        lines.append("started   \(Self.time(journal.startedAt)) by \(journal.operatorName.map { "\($0) (\(journal.osUser))" } ?? journal.osUser) on \(journal.host)")
        lines.append("duration  \(Self.duration(journal.duration)), \(journal.sessions) session(s)")
        if let rto = journal.rto {
            lines.append("rto       \(Self.duration(rto.seconds)) until step \(rto.until) succeeded (objective \(rto.target): \(rto.met ? "met" : "missed"))")
        }
        lines.append("plan      \(journal.planDigest)")
        if !journal.params.isEmpty {
            lines.append("params")
            for k in journal.params.keys.sorted() { lines.append("  \(k) = \(journal.params[k] ?? .null)") }
        }
        lines.append("steps")
        var rows: [[String]] = [["  STEP", "STATE", "TIME", "TRIES", "EXIT", "MESSAGE"]]
        for s in journal.steps {
            rows.append(["  " + s.path, s.state.rawValue, s.duration.map(Self.duration) ?? "-", "\(s.attempts)",
                         s.exitStatus.map(String.init) ?? "-", s.message ?? ""])
        }
        lines.append(Table.render(rows))
        for s in journal.steps {
            for c in s.confirmations { lines.append("  \(s.path): confirmed by \(Self.who(c)) at \(Self.time(c.at)): \(c.what)") }
            for t in s.ticks { lines.append("  \(s.path): ticked by \(Self.who(t)) at \(Self.time(t.at)): \(t.what)") }
            for k in s.outputs.keys.sorted() {
                let text = (s.outputs[k] ?? .null).description.replacingOccurrences(of: "\n", with: "⏎")
                lines.append("  \(s.path).outputs.\(k) = \(text.count > 120 ? String(text.prefix(120)) + "…" : text)")
            }
        }
        print(lines.joined(separator: "\n"))
    }

    static func who(_ a: OperatorAction) -> String {
        let name = a.operatorName.map { "\($0) (\(a.osUser))" } ?? a.osUser
        return a.automatic ? "\(name) via --yes" : name
    }

    static func time(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    static func duration(_ s: Double) -> String {
        if s < 10 { return String(format: "%.2fs", s) }
        if s < 120 { return String(format: "%.0fs", s) }
        return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
    }
}
