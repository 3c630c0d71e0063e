import Foundation
import RunbookCore

/// Runs (or resumes) a validated runbook: the orchestrator.
///
/// 1. Resolves secrets, takes the locks, and refuses — before any step — when
///    an operator would be needed and none can answer.
/// 2. Runs the steps in order (`StepSequence`, `StepRunner`, `LoopRunner`).
/// 3. On a failure, follows the failed step's policy: roll back completed steps
///    newest first (`Rollback`), or abort; then runs `on_failure` steps.
///    On SIGINT/SIGTERM, stops the running step, asks on a terminal whether to
///    roll back (otherwise follows `--on-interrupt`), and records "interrupted".
/// 4. Ends every record (journal, audit trail, screen) with the outcome.
public final class Interpreter: @unchecked Sendable {
    public let request: RunRequest
    private let actions: [any ExecutableAction]
    private let reporter: RunReporter
    private let prompter: Prompter
    private let makeProcesses: @Sendable (ProcessTracking) -> any ProcessRunning
    private let interrupts = InterruptController()
    private let handleSignals: Bool

    /// `processes` lets tests swap the process runner; by default it is `ProcessRunner`.
    /// `handleSignals: false` leaves SIGINT/SIGTERM alone (for tests running in-process).
    public init(request: RunRequest, actions: [any ExecutableAction], reporter: RunReporter, prompter: Prompter,
                handleSignals: Bool = true,
                processes: (@Sendable (ProcessTracking) -> any ProcessRunning)? = nil) {
        self.request = request
        self.actions = actions
        self.reporter = reporter
        self.prompter = prompter
        self.handleSignals = handleSignals
        let grace = request.options.gracePeriod
        self.makeProcesses = processes ?? { tracker in ProcessRunner(gracePeriod: grace, tracker: tracker) }
    }

    /// Stops the current phase as SIGINT would (for embedding and tests).
    public func interrupt() { interrupts.simulate(SIGINT) }

    public func run() async -> RunOutcome {
        // A closed stdout (runbook run ... | head) must not kill the run halfway: writes just fail.
        signal(SIGPIPE, SIG_IGN)
        let runbook = request.runbook
        let previous = request.resuming
        let runID = previous?.runID ?? RunID.make()
        let startedAt = previous?.startedAt ?? Date()
        let state = request.stateDirectory
        var byName: [String: any ExecutableAction] = [:]
        for a in actions { byName[a.spec.name] = a }

        // Secrets first: a missing one is a configuration problem, reported like validation.
        let decls = Preflight.secretDeclarations(runbook, profile: request.profile, siblings: request.siblings)
        let secrets: [String: String]
        switch SecretResolver.resolve(decls) {
        case .success(let values): secrets = values
        case .failure(let failures):
            return RunOutcome(runID: nil, status: .refused, message: "secrets are not available",
                              diagnostics: failures.items.map(\.diagnostic))
        }
        let vault = SecretVault(secrets)

        do {
            try state.prepare()
            try FileManager.default.createDirectory(atPath: state.runDirectory(runID), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            return RunOutcome(runID: nil, status: .refused, message: "cannot use state directory \(state.root): \(error)")
        }
        let audit: AuditLog
        do { audit = try AuditLog(path: state.auditPath) } catch {
            return RunOutcome(runID: nil, status: .refused, message: "\(error)")
        }

        var journal = previous ?? RunJournal(runID: runID, runbook: runbook, runbooksDirectory: request.runbooksDirectory,
                                             profile: request.profile, params: request.params,
                                             planDigest: request.planDigest, operatorName: request.options.operatorName,
                                             osUser: Identity.osUser, host: Identity.host, argv: request.options.argv,
                                             startedAt: startedAt)
        if previous != nil {
            journal.sessions += 1
            journal.status = .running
            journal.endedAt = nil
            journal.pid = getpid()
            journal.message = nil
            journal.runbookDigest = runbook.digest
            journal.profileDigest = request.profile?.digest
            if let op = request.options.operatorName { journal.operatorName = op }
        }
        let store = JournalStore(path: state.journalPath(runID), journal: journal, redactor: vault.redactor)
        let recorder = RunRecorder(runID: runID, runbook: runbook, operatorName: request.options.operatorName,
                                   reporter: reporter, vault: vault, audit: audit, journal: store)

        // Locks: one run at a time per runbook name and per declared lock name.
        let holder = LockHolder(runID: runID, pid: getpid(), host: Identity.host, since: Date(),
                                processStart: ProcStat(pid: getpid())?.startTime)
        let locks = LockSet(directory: state.locksDirectory, holder: holder)
        let takeovers: [(String, LockHolder)]
        do {
            takeovers = try await locks.acquire([runbook.name] + runbook.locks.map(\.name), wait: request.options.waitLock)
        } catch {
            return refuse(recorder, runID: runID, Invocation.describe(error), writeJournal: false)
        }
        defer { locks.releaseAll() }

        if !prompter.isInteractive && !request.options.assumeYes {
            let needing = Preflight.stepsNeedingOperator(runbook, siblings: request.siblings, actions: byName)
            if !needing.isEmpty {
                return refuse(recorder, runID: runID, "no terminal to confirm or tick \(needing.joined(separator: ", ")); run it on a terminal, or pass --yes to confirm",
                              writeJournal: previous != nil)
            }
        }

        let tracker = ProcessTrackerFile(path: state.processesPath(runID))
        let secretFiles = SecretFiles(directory: state.secretsDirectory(runID))
        secretFiles.removeAll()
        defer { secretFiles.removeAll() }
        let run = RunState(request: request, runID: runID, startedAt: startedAt, recorder: recorder, vault: vault,
                           actions: actions, processes: makeProcesses(tracker), prompter: prompter, locks: locks,
                           secretFiles: secretFiles, previous: previous)

        recorder.journal { $0 = journal }
        recorder.audit(previous == nil ? "run.start" : "run.resume", argv: request.options.argv,
                       message: previous == nil ? nil : "session \(journal.sessions)",
                       data: startData())
        for (name, stale) in takeovers {
            recorder.audit("lock.takeover", message: "took over stale lock \"\(name)\" left by \(stale)")
            recorder.show(.notice("took over stale lock \"\(name)\" left by \(stale), which is no longer running"))
        }
        if previous != nil { await stopLeftovers(of: runID, recorder) }
        recorder.show(.runStarted(runID: runID, runbook: runbook.name, resumed: previous != nil))

        interrupts.onSignal = { sig in
            recorder.audit("interrupt", message: sig == SIGTERM ? "SIGTERM" : "SIGINT")
        }
        if handleSignals { interrupts.install() }
        defer { if handleSignals { interrupts.uninstall() } }

        let root = Frame(prefix: "", runbook: runbook, params: request.params, depth: 0)
        var (forward, interruptedForward) = await phase { await StepSequence(run: run, frame: root).execute(runbook.steps) }
        if interruptedForward, case .completed = forward { forward = .interrupted(path: nil) }

        var status: RunStatus
        var message: String?
        switch forward {
        case .completed:
            status = .succeeded
        case .failed(let path, let why, let policy):
            message = "\(path): \(why)"
            if policy == .rollback {
                let (summary, _) = await phase { await Rollback(run: run).unwind() }
                status = summary.ran == 0 ? .failed : summary.failed.isEmpty ? .rolledBack : .rollbackFailed
                if !summary.failed.isEmpty { message! += "; rollback failed for " + summary.failed.joined(separator: ", ") }
                if summary.interrupted { message! += "; rollback interrupted" }
            } else {
                status = .failed
                message! += policy == .abort ? "; aborted, completed steps left as they are" : ""
            }
            await runOnFailureSteps(run, root)
        case .interrupted(let path):
            status = .interrupted
            message = "interrupted" + (path.map { " during \($0)" } ?? "")
            let completed = run.saga.pending.count
            if completed > 0, await shouldRollBackAfterInterrupt(completed: completed) {
                let (summary, _) = await phase { await Rollback(run: run).unwind() }
                message! += "; rolled back \(summary.ran - summary.failed.count) of \(completed) step(s)"
                if !summary.failed.isEmpty {
                    status = .rollbackFailed
                    message! += "; rollback failed for " + summary.failed.joined(separator: ", ")
                }
                if summary.interrupted { message! += "; rollback interrupted" }
            } else {
                message! += "; nothing rolled back — continue with: runbook resume \(runID)"
            }
        }
        if let failure = recorder.failure, status == .succeeded {
            status = .failed
            message = "records could not be written: \(failure)"
        }
        if status == .failed || status == .rolledBack {
            message = message.map { $0 + " — resume with: runbook resume \(runID)" }
        }
        finish(recorder, runID: runID, status: status, message: message, startedAt: startedAt)
        try? FileManager.default.removeItem(atPath: state.processesPath(runID))
        return RunOutcome(runID: runID, status: status, message: recorder.redactor.redact(message ?? ""))
    }

    // MARK: - Phases

    private func phase<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> (T, Bool) {
        let r = await interrupts.phase(body)
        return (r.value, r.interrupted)
    }

    private func shouldRollBackAfterInterrupt(completed: Int) async -> Bool {
        guard prompter.isInteractive else { return request.options.onInterrupt == .rollback }
        reporter.pause()
        defer { reporter.resume() }
        let prompter = self.prompter
        let (answer, interrupted) = await phase {
            await prompter.ask("\nInterrupted. Roll back the \(completed) completed step(s), newest first? [y/N] ")
        }
        if interrupted { return false }
        return ["y", "yes"].contains(answer?.trimmingCharacters(in: .whitespaces).lowercased() ?? "")
    }

    private func runOnFailureSteps(_ run: RunState, _ root: Frame) async {
        for (frame, steps) in run.takeDeferredOnFailure() {
            _ = await phase { await StepSequence(run: run, frame: frame).executeAll(steps) }
        }
        guard !request.runbook.onFailure.isEmpty else { return }
        let handlers = Frame(prefix: "on_failure/", runbook: request.runbook, params: request.params, depth: 0)
        _ = await phase { await StepSequence(run: run, frame: handlers).executeAll(self.request.runbook.onFailure) }
    }

    /// Stops process groups a killed earlier attempt left running, before anything else runs.
    private func stopLeftovers(of runID: String, _ recorder: RunRecorder) async {
        let path = request.stateDirectory.processesPath(runID)
        for pgid in ProcessTrackerFile.leftovers(at: path) {
            recorder.show(.notice("stopping process group \(pgid) left running by the earlier attempt"))
            await ProcessGroup.terminate(pgid, grace: request.options.gracePeriod, startingWith: SIGINT)
            recorder.audit("process.leftover-stopped", message: "stopped process group \(pgid) left by the earlier attempt",
                           data: ["pgid": .int(Int(pgid))])
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    // MARK: - Records

    private func startData() -> [String: Value] {
        var d: [String: Value] = ["params": .map(request.params), "plan_digest": .string(request.planDigest),
                                  "pid": .int(Int(getpid()))]
        if let p = request.profile { d["profile"] = .string(p.name); d["profile_digest"] = .string(p.digest) }
        return d
    }

    private func refuse(_ recorder: RunRecorder, runID: String, _ why: String, writeJournal: Bool) -> RunOutcome {
        recorder.audit("run.refused", argv: request.options.argv, exitStatus: RunStatus.refused.exitCode,
                       status: RunStatus.refused.rawValue, message: why)
        if writeJournal {
            recorder.journal { $0.message = why }
        } else {
            try? FileManager.default.removeItem(atPath: request.stateDirectory.runDirectory(runID))
        }
        recorder.show(.runFinished(runID: runID, status: .refused, duration: 0, message: why))
        return RunOutcome(runID: runID, status: .refused, message: recorder.redactor.redact(why))
    }

    private func finish(_ recorder: RunRecorder, runID: String, status: RunStatus, message: String?, startedAt: Date) {
        let now = Date()
        recorder.journal {
            $0.status = status
            $0.endedAt = now
            $0.message = message
        }
        let duration = now.timeIntervalSince(startedAt)
        recorder.audit("run.end", argv: request.options.argv, exitStatus: status.exitCode, status: status.rawValue,
                       duration: duration, message: message)
        recorder.show(.runFinished(runID: runID, status: status, duration: duration, message: message))
    }
}

extension RunStatus {
    /// The process exit code for this outcome (see `runbook --help`):
    /// 0 success; 2 failed (rolled back cleanly, aborted, or nothing to roll back);
    /// 3 failed and a rollback failed; 4 interrupted; 5 refused to start.
    public var exitCode: Int32 {
        switch self {
        case .succeeded: return 0
        case .failed, .rolledBack: return 2
        case .rollbackFailed: return 3
        case .interrupted, .running: return 4
        case .refused: return 5
        }
    }
}
