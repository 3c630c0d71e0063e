import Foundation
import RunbookCore

/// When a scheduled run starts: a systemd calendar expression and, when one exists, the same
/// schedule as cron's five fields.
struct ScheduleTime: Equatable {
    var onCalendar: String
    var cron: String?

    /// `--every`: a period that divides an hour or a day evenly, so that the timer and cron agree
    /// and a missed run (Persistent=true) is caught up at a well-defined time.
    static func every(_ text: String) -> ScheduleTime? {
        guard let seconds = RunbookCore.Duration.parseSeconds(text), seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 else { return nil }
        let minutes = Int(seconds) / 60
        if minutes < 60, 60 % minutes == 0 {
            return ScheduleTime(onCalendar: "*-*-* *:00/\(minutes):00", cron: minutes == 1 ? "* * * * *" : "*/\(minutes) * * * *")
        }
        guard minutes % 60 == 0 else { return nil }
        let hours = minutes / 60
        if hours == 1 { return ScheduleTime(onCalendar: "*-*-* *:00:00", cron: "0 * * * *") }
        if hours < 24, 24 % hours == 0 { return ScheduleTime(onCalendar: "*-*-* 00/\(hours):00:00", cron: "0 */\(hours) * * *") }
        if hours == 24 { return ScheduleTime(onCalendar: "*-*-* 00:00:00", cron: "0 0 * * *") }
        return nil
    }

    /// `--on-calendar`: any systemd calendar expression; cron gets an equivalent for the daily
    /// forms (`daily`, `hourly`, `HH:MM`, `*-*-* HH:MM[:SS]`), none otherwise.
    static func onCalendar(_ text: String) -> ScheduleTime {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t {
        case "hourly": return ScheduleTime(onCalendar: t, cron: "0 * * * *")
        case "daily": return ScheduleTime(onCalendar: t, cron: "0 0 * * *")
        case "weekly": return ScheduleTime(onCalendar: t, cron: "0 0 * * 1")
        default: break
        }
        let time = t.hasPrefix("*-*-* ") ? String(t.dropFirst(6)) : t
        let parts = time.split(separator: ":").map(String.init)
        if (2...3).contains(parts.count), let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m),
           parts.count == 2 || parts[2] == "00", parts[0].count == 2, parts[1].count == 2 {
            return ScheduleTime(onCalendar: t, cron: "\(m) \(h) * * *")
        }
        return ScheduleTime(onCalendar: t, cron: nil)
    }
}

/// The systemd service and timer and the cron line for one scheduled runbook.
struct ScheduleUnits {
    var unitName: String
    var runbook: String
    var profile: String
    var time: ScheduleTime
    /// The whole command line, `--yes` included: a scheduled run has no terminal.
    var argv: [String]
    var user: String?

    var service: String {
        var lines = [
            "[Unit]",
            "Description=runbook run \(runbook) (profile \(profile))",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=" + argv.map(Self.systemdQuote).joined(separator: " "),
            // No terminal: a prompt would hang; runbook refuses to start instead (exit 5) without --yes.
            "StandardInput=null",
            "StandardOutput=journal",
            "StandardError=journal",
            "StateDirectory=runbook",
            "StateDirectoryMode=0700",
            // SIGTERM to runbook only: it stops the running step's process groups itself and records it.
            "KillMode=mixed",
            "KillSignal=SIGTERM",
            "TimeoutStopSec=120",
        ]
        if let user { lines.append("User=\(user)") }
        return lines.joined(separator: "\n") + "\n"
    }

    var timer: String {
        [
            "[Unit]",
            "Description=Schedule of \(unitName).service",
            "",
            "[Timer]",
            "OnCalendar=\(time.onCalendar)",
            // A run missed while the machine was off starts at the next boot.
            "Persistent=true",
            "Unit=\(unitName).service",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ].joined(separator: "\n") + "\n"
    }

    /// An /etc/cron.d line (with its user field), or a comment saying why there is none.
    var cron: String {
        guard let fields = time.cron else {
            return "# no cron equivalent of OnCalendar=\(time.onCalendar); use the systemd timer, or --every"
        }
        let command = argv.map { ShellQuote.quote($0) }.joined(separator: " ")
            .replacingOccurrences(of: "%", with: "\\%")
        return "\(fields) \(user ?? "root") \(command) </dev/null >>/var/log/\(unitName).log 2>&1"
    }

    /// systemd's ExecStart quoting: words with spaces, quotes or `$`/`%` are double-quoted and escaped.
    static func systemdQuote(_ word: String) -> String {
        let escapedPercent = word.replacingOccurrences(of: "%", with: "%%")
        let needsQuotes = escapedPercent.contains { " \t\"'\\$;".contains($0) } || escapedPercent.isEmpty
        guard needsQuotes else { return escapedPercent.replacingOccurrences(of: "$", with: "$$") }
        let inner = escapedPercent.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "$", with: "$$")
        return "\"\(inner)\""
    }
}
