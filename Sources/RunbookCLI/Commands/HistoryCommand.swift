import ArgumentParser
import Foundation
import RunbookEngine

/// `runbook history`: the runs recorded in the state directory, newest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List runs, newest first.")

    @Option(name: .customLong("state-dir"), help: "State directory to read.")
    var stateDir: String?

    @Option(help: "text (a table) or json (an array).")
    var format: RunOutputFormat = .text

    @Option(help: "Show at most this many runs.")
    var limit: Int = 50

    func run() async throws {
        let state = StateDirectory.resolve(stateDir)
        // Ids sort by second only; the journal's start time orders runs started within one second.
        let journals = state.runIDs().compactMap { try? JournalStore.load(path: state.journalPath($0)) }
            .sorted { ($0.startedAt, $0.runID) > ($1.startedAt, $1.runID) }
            .prefix(max(0, limit))
        if format == .json {
            let rows: [[String: Any]] = journals.map { j in
                var row: [String: Any] = ["run": j.runID, "runbook": j.runbook, "status": j.status.rawValue,
                                          "started_at": AuditLog.timestamp(j.startedAt), "duration": (j.duration * 1000).rounded() / 1000,
                                          "os_user": j.osUser, "host": j.host, "sessions": j.sessions]
                if let op = j.operatorName { row["operator"] = op }
                if let p = j.profile { row["profile"] = p }
                if let m = j.message { row["message"] = m }
                if let rto = j.rto {
                    row["rto_seconds"] = rto.seconds; row["rto_met"] = rto.met
                    row["rto_target_seconds"] = rto.targetSeconds; row["rto_until"] = rto.until
                }
                return row
            }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard !journals.isEmpty else {
            print("no runs in \(state.root)")
            return
        }
        let header = ["RUN", "RUNBOOK", "STATUS", "STARTED", "DURATION", "OPERATOR"]
        let rows = journals.map { j in
            [j.runID, j.runbook, j.status.rawValue, ShowCommand.time(j.startedAt), ShowCommand.duration(j.duration),
             j.operatorName.map { "\($0) (\(j.osUser))" } ?? j.osUser]
        }
        print(Table.render([header] + rows))
    }
}

/// Left-aligned columns separated by two spaces.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
