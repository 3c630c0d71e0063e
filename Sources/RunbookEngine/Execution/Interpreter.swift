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
        // From here on a signal is recorded instead of killing runbook; the first phase sees it.
        if handleSignals { interrupts.install() }
        defer { if handleSignals { interrupts.uninstall() } }

        let setup: RunSetup
        switch await RunSetup.open(request, actions: actions, reporter: reporter, prompter: prompter, interrupts: interrupts) {
        case .success(let s): setup = s
        case .failure(let refusal): return refusal.outcome
        }
        let recorder = setup.recorder
        let runID = setup.runID
        defer { setup.locks.releaseAll() }
        let secretFiles = SecretFiles(directory: request.stateDirectory.secretsDirectory(runID))
        secretFiles.removeAll()
        defer { secretFiles.removeAll() }
        let tracker = ProcessTrackerFile(path: request.stateDirectory.processesPath(runID))
        let run = RunState(request: request, runID: runID, startedAt: setup.startedAt, recorder: recorder, vault: setup.vault,
                           actions: actions, processes: makeProcesses(tracker), prompter: prompter, locks: setup.locks,
                           secretFiles: secretFiles, previous: request.resuming)

        setup.recordStart(request)
        if request.resuming != nil { await stopLeftovers(of: runID, recorder) }
        recorder.show(.runStarted(runID: runID, runbook: request.runbook.name, resumed: request.resuming != nil))
        let earlier = interrupts.onSignal { sig in recorder.audit("interrupt", message: Self.signalName(sig)) }
        for sig in earlier { recorder.audit("interrupt", message: Self.signalName(sig)) }

        let root = Frame(prefix: "", runbook: request.runbook, params: request.params, depth: 0)
        var (forward, interruptedForward) = await phase(since: 0) {
            await StepSequence(run: run, frame: root).execute(self.request.runbook.steps)
        }
        if interruptedForward, case .completed = forward { forward = .interrupted(path: nil) }

        var (status, message) = await conclude(forward, run: run, root: root)
        if let failure = recorder.failure, status == .succeeded {
            status = .failed
            message = "records could not be written: \(failure)"
        }
        run.recovery?.conclude(status: status, run: run)
        await run.connections.closeAll(using: run.processes)
        finish(recorder, runID: runID, status: status, message: message, startedAt: setup.startedAt)
        try? FileManager.default.removeItem(atPath: request.stateDirectory.processesPath(runID))
        return RunOutcome(runID: runID, status: status, message: recorder.redactor.redact(message ?? ""))
    }

    /// After the forward steps: the saga or not, `on_failure` steps, and the outcome's words.
    private func conclude(_ forward: StepSequence.Result, run: RunState, root: Frame) async -> (RunStatus, String?) {
        let resumeHint = " — resume with: runbook resume \(run.runID)"
        switch forward {
        case .completed:
            let failed = run.failuresContinuedPast
            guard !failed.isEmpty else { return (.succeeded, nil) }
            return (.completedWithFailures, "\(failed.count) failed and the run went on (on_failure: continue): " + failed.joined(separator: ", "))
        case .failed(let path, let why, let policy):
            // Declined before any step completed: nothing ran, nothing to roll back or resume.
            if run.refusedBeforeAnything(failedAt: path) {
                return (.refused, "\(path): \(why); nothing ran")
            }
            var message = "\(path): \(why)"
            var status = RunStatus.failed
            if policy == .rollback {
                let (summary, _) = await phase { await Rollback(run: run).unwind() }
                status = summary.ran == 0 ? .failed : summary.failed.isEmpty ? .rolledBack : .rollbackFailed
                message += Self.describe(summary)
            } else if policy == .abort {
                message += "; aborted, completed steps left as they are"
            }
            await runOnFailureSteps(run, root)
            return (status, status == .rollbackFailed ? message : message + resumeHint)
        case .interrupted(let path):
            var message = "interrupted" + (path.map { " during \($0)" } ?? "")
            let completed = run.saga.pending.count
            guard completed > 0, await shouldRollBackAfterInterrupt(completed: completed) else {
                return (.interrupted, message + "; nothing rolled back" + resumeHint)
            }
            let (summary, _) = await phase { await Rollback(run: run).unwind() }
            message += "; rolled back \(summary.ran - summary.failed.count) of \(completed) step(s)" + Self.describe(summary)
            return (summary.failed.isEmpty ? .interrupted : .rollbackFailed, message)
        }
    }

    private static func describe(_ summary: Rollback.Summary) -> String {
        var text = ""
        if !summary.failed.isEmpty { text += "; rollback failed for " + summary.failed.joined(separator: ", ") }
        if summary.interrupted { text += "; rollback interrupted" }
        return text
    }

    static func signalName(_ sig: Int32) -> String { sig == SIGTERM ? "SIGTERM" : "SIGINT" }

    // MARK: - Phases

    private func phase<T: Sendable>(since: Int? = nil, _ body: @escaping @Sendable () async -> T) async -> (T, Bool) {
        let r = await interrupts.phase(since: since, body)
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

    private func finish(_ recorder: RunRecorder, runID: String, status: RunStatus, message: String?, startedAt: Date) {
        let now = Date()
        recorder.journal(durability: .full) {
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
