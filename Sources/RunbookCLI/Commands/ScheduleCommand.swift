import ArgumentParser
import Foundation
import RunbookCore
import RunbookEngine

/// `runbook schedule RUNBOOK --profile P --every 24h`: prints a systemd service and timer, and
/// the equivalent cron line, that run the runbook unattended. It validates the runbook first,
/// and refuses what must not run without a person (see docs/operations/scheduling.md).
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Print systemd service and timer units (and a cron line) that run a runbook on a schedule.",
        discussion: """
        The run gets --yes (a timer has no terminal), --wait-lock (a run still going \
        is waited for, not failed) and --on-interrupt stop. Because --yes confirms every \
        destructive step, each confirmed step must be named with --unattended STEP \
        (RUNBOOK/STEP for a step of a called runbook); runbooks with manual checklists or an \
        RTO (recoveries) are refused outright: a person starts a restore.

        Exit codes: 0 printed; 1 invalid runbook, profile or params; 5 refused; 64 usage error.
        """
    )

    @OptionGroup var selection: SelectionOptions

    @Option(help: ArgumentHelp("Run every DURATION (a divisor of an hour or of a day: 15m, 1h, 6h, 24h).", valueName: "DURATION"))
    var every: String?

    @Option(name: .customLong("on-calendar"), help: ArgumentHelp("Run at a systemd calendar expression, e.g. \"*-*-* 02:30:00\".", valueName: "SPEC"))
    var onCalendar: String?

    @Option(name: .customLong("unattended"), help: ArgumentHelp("A confirmed step that may run unconfirmed (repeatable).", valueName: "STEP"))
    var unattended: [String] = []

    @Option(name: .customLong("wait-lock"), help: "How long a scheduled run waits for a run holding the same lock.")
    var waitLock: String = "1h"

    @Option(name: .customLong("binary"), help: "Path of runbook on the scheduled machine.")
    var binary: String = "/usr/local/bin/runbook"

    @Option(name: .customLong("state-dir"), help: "State directory of the scheduled runs (the service's StateDirectory).")
    var stateDir: String = "/var/lib/runbook"

    @Option(help: "User the service runs as (default: root).")
    var user: String?

    @Option(name: .customLong("unit-name"), help: "Unit name without suffix (default: runbook-RUNBOOK-PROFILE).")
    var unitName: String?

    func run() async throws {
        guard (every == nil) != (onCalendar == nil) else { throw ValidationError("give exactly one of --every and --on-calendar") }
        var time: ScheduleTime
        if let every {
            guard let t = ScheduleTime.every(every) else {
                throw ValidationError("--every \(every): use a period that divides an hour or a day (15m, 1h, 6h, 24h), or --on-calendar")
            }
            time = t
        } else {
            time = ScheduleTime.onCalendar(onCalendar ?? "")
        }
        guard RunbookCore.Duration.parseSeconds(waitLock) != nil else { throw ValidationError("--wait-lock: \"\(waitLock)\" is not a duration") }
        guard let profileName = selection.profile else { throw ValidationError("--profile is required: a scheduled run needs its targets") }
        let prepared = try selection.prepare(requireProfile: true)
        if let refusal = Self.refusal(prepared.graph, unattended: Set(unattended)) {
            Refusal.exit(refusal, .refused)
        }
        let runbooksDir = (prepared.workspace.runbooksDir as NSString).standardizingPath
        var argv = [binary, "run", prepared.runbook.name, "--profile", profileName, "--runbooks-dir", Self.absolute(runbooksDir),
                    "--state-dir", stateDir]
        for (name, value) in try selection.paramValues().sorted(by: { $0.key < $1.key }) { argv += ["--param", "\(name)=\(value)"] }
        argv += ["--yes", "--wait-lock", waitLock, "--on-interrupt", "stop"]
        let name = unitName ?? "runbook-\(prepared.runbook.name)-\((profileName as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: ""))"
        let units = ScheduleUnits(unitName: name, runbook: prepared.runbook.name, profile: profileName, time: time, argv: argv, user: user)
        print("# /etc/systemd/system/\(name).service")
        print(units.service)
        print("# /etc/systemd/system/\(name).timer")
        print(units.timer)
        print("# /etc/cron.d/\(name) (instead of the timer, where there is no systemd)")
        print(units.cron)
    }

    /// Why the graph cannot run unattended, or nil.
    static func refusal(_ graph: RunbookGraph, unattended: Set<String>) -> String? {
        for member in graph.members {
            let all = member.steps + member.onFailure
            if let step = all.first(where: { !$0.manual.isEmpty }) {
                return "\(member.name) step \(step.id) is a manual checklist: a scheduled run has nobody to tick it"
            }
            if member.rto != nil {
                return "\(member.name) is a recovery (it has an rto): a restore is started by a person who decided to restore, never by a timer; schedule verify-backup to test restores"
            }
        }
        var unacknowledged: [String] = []
        var confirmed: [String] = []
        for member in graph.members {
            for step in member.steps + member.onFailure where step.confirm != nil {
                let id = member.name == graph.root.name ? step.id : "\(member.name)/\(step.id)"
                confirmed.append(id)
                if !unattended.contains(id) { unacknowledged.append("\(id) (\(step.confirm?.text ?? ""))") }
            }
        }
        if let unknown = unattended.sorted().first(where: { !confirmed.contains($0) }) {
            return "--unattended \(unknown) names no confirmed step of \(graph.root.name)"
                + (confirmed.isEmpty ? " (it has none)" : "; confirmed steps: " + confirmed.joined(separator: ", "))
        }
        guard !unacknowledged.isEmpty else { return nil }
        return "a scheduled run confirms every destructive step with --yes; name each one that may run unattended with --unattended: "
            + unacknowledged.joined(separator: "; ")
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }
}
