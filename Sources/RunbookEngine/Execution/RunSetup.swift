import Foundation
import RunbookCore

/// Everything a run needs before its first step, or the reason it cannot start:
/// secrets resolved, state directory ready, records opened, locks taken, and an
/// operator available for the steps that need one.
struct RunSetup {
    let runID: String
    let startedAt: Date
    let vault: SecretVault
    let recorder: RunRecorder
    let locks: LockSet
    let journal: RunJournal
    let takeovers: [(String, LockHolder)]

    /// A run that ends before it starts.
    struct Refusal: Error {
        var outcome: RunOutcome
    }

    static func open(_ request: RunRequest, actions: [any ExecutableAction], reporter: RunReporter, prompter: Prompter,
                     interrupts: InterruptController) async -> Result<RunSetup, Refusal> {
        let runbook = request.runbook
        let previous = request.resuming
        let runID = previous?.runID ?? RunID.make()
        let startedAt = previous?.startedAt ?? Date()
        let state = request.stateDirectory

        // Secrets first: a missing one is a configuration problem, reported like validation.
        // Only those a step that may run uses: a skipped step's secret need not be set.
        let decls = Preflight.secretDeclarations(request.graph, params: request.params, profile: request.profile, actions: actions)
        let vault: SecretVault
        switch SecretResolver.resolve(decls) {
        case .success(let values): vault = SecretVault(values)
        case .failure(let failures):
            return .failure(Refusal(outcome: RunOutcome(runID: nil, status: .refused, message: "secrets are not available",
                                                        diagnostics: failures.items.map(\.diagnostic))))
        }

        let audit: AuditLog
        do {
            try state.prepare()
            try FileManager.default.createDirectory(atPath: state.runDirectory(runID), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            audit = try AuditLog(path: state.auditPath)
        } catch {
            return .failure(Refusal(outcome: RunOutcome(runID: nil, status: .refused,
                                                        message: "cannot use state directory \(state.root): \(error)")))
        }

        let journal = Self.journal(for: request, runID: runID, startedAt: startedAt)
        let store = JournalStore(path: state.journalPath(runID), journal: journal, redactor: vault.redactor)
        let recorder = RunRecorder(runID: runID, runbook: runbook, operatorName: request.options.operatorName,
                                   reporter: reporter, vault: vault, audit: audit, journal: store)

        // One run at a time per runbook name and per declared lock name.
        let holder = LockHolder(runID: runID, pid: getpid(), host: Identity.host, since: Date(),
                                processStart: ProcStat(pid: getpid())?.startTime)
        let locks = LockSet(directory: state.locksDirectory, holder: holder)
        let takeovers: [(String, LockHolder)]
        do {
            takeovers = try await locks.acquire([runbook.name] + runbook.locks.map(\.name), wait: request.options.waitLock,
                                                giveUp: { !interrupts.received.isEmpty })
        } catch {
            return .failure(refuse(request, recorder, runID: runID, Invocation.describe(error)))
        }

        if !prompter.isInteractive && !request.options.assumeYes {
            var byName: [String: any ExecutableAction] = [:]
            for a in actions { byName[a.spec.name] = a }
            let needing = Preflight.stepsNeedingOperator(request.graph, actions: byName)
            if !needing.isEmpty {
                locks.releaseAll()
                let why = "no terminal to confirm or tick \(needing.joined(separator: ", ")); run it on a terminal, or pass --yes to confirm"
                return .failure(refuse(request, recorder, runID: runID, why))
            }
        }
        return .success(RunSetup(runID: runID, startedAt: startedAt, vault: vault, recorder: recorder, locks: locks,
                                 journal: journal, takeovers: takeovers))
    }

    /// A new journal, or the resumed one marked as running again.
    static func journal(for request: RunRequest, runID: String, startedAt: Date) -> RunJournal {
        guard var journal = request.resuming else {
            return RunJournal(runID: runID, runbook: request.runbook, runbooksDirectory: request.runbooksDirectory,
                              profile: request.profile, params: request.params, planDigest: request.planDigest,
                              operatorName: request.options.operatorName, osUser: Identity.osUser, host: Identity.host,
                              argv: request.options.argv, startedAt: startedAt)
        }
        journal.sessions += 1
        journal.status = .running
        journal.endedAt = nil
        journal.pid = getpid()
        journal.message = nil
        journal.runbookDigest = request.runbook.digest
        journal.profileDigest = request.profile?.digest
        journal.planDigest = request.planDigest
        if let op = request.options.operatorName { journal.operatorName = op }
        return journal
    }

    /// Writes the journal and the `run.start` (or `run.resume`) event, and reports stale locks taken over.
    func recordStart(_ request: RunRequest) {
        let resumed = request.resuming != nil
        recorder.journal(durability: .full) { $0 = journal }
        var data: [String: Value] = ["params": .map(request.params), "plan_digest": .string(request.planDigest),
                                     "pid": .int(Int(getpid()))]
        if let p = request.profile { data["profile"] = .string(p.name); data["profile_digest"] = .string(p.digest) }
        recorder.audit(resumed ? "run.resume" : "run.start", argv: request.options.argv,
                       message: resumed ? "session \(journal.sessions)" : nil, data: data)
        for (name, value) in vault.all.sorted(by: { $0.key < $1.key }) where value.utf8.count < Redactor.minimumLength {
            recorder.show(.notice("secret \"\(name)\" is shorter than \(Redactor.minimumLength) characters: only its exact text is masked in output"))
        }
        for (name, stale) in takeovers {
            recorder.audit("lock.takeover", message: "took over stale lock \"\(name)\" left by \(stale)")
            recorder.show(.notice("took over stale lock \"\(name)\" left by \(stale), which is no longer running"))
        }
    }

    /// Records a refusal in the audit trail. A new run leaves no journal; a refused
    /// resume leaves the run's journal as it was, so it can be resumed later.
    static func refuse(_ request: RunRequest, _ recorder: RunRecorder, runID: String, _ why: String) -> Refusal {
        recorder.audit("run.refused", argv: request.options.argv, exitStatus: RunStatus.refused.exitCode,
                       status: RunStatus.refused.rawValue, message: why)
        if request.resuming == nil {
            try? FileManager.default.removeItem(atPath: request.stateDirectory.runDirectory(runID))
        }
        recorder.show(.runFinished(runID: runID, status: .refused, duration: 0, message: why))
        return Refusal(outcome: RunOutcome(runID: runID, status: .refused, message: recorder.redactor.redact(why)))
    }
}
