import Foundation
import RunbookCore

/// Everything the parts of one run share: the request, the records, the
/// actions, the locks and the rollback saga. Created by `Interpreter`.
final class RunState: @unchecked Sendable {
    let request: RunRequest
    let runID: String
    let startedAt: Date
    let recorder: RunRecorder
    let vault: SecretVault
    let actions: [String: any ExecutableAction]
    let binder: CallBinder
    let processes: any ProcessRunning
    let prompter: Prompter
    let locks: LockSet
    let secretFiles: SecretFiles
    let saga = Saga()
    /// Connections commands share (ssh control masters), closed when the run ends.
    let connections = RunConnections()
    /// Measures the runbook's `rto:` objective; nil when it declares none.
    let recovery: RecoveryTimer?
    /// One question to the operator at a time, also from parallel loop items.
    let questions = AsyncMutex()
    /// The journal of the attempt being resumed: steps done there are not run again.
    let previous: RunJournal?
    private let lock = NSLock()
    private var pendingOnFailure: [(Frame, [Step])] = []
    private var completedSteps = 0
    private var refusedAt: String?
    private var failedAndContinued: [String] = []

    init(request: RunRequest, runID: String, startedAt: Date, recorder: RunRecorder, vault: SecretVault,
         actions: [any ExecutableAction], processes: any ProcessRunning, prompter: Prompter, locks: LockSet,
         secretFiles: SecretFiles, previous: RunJournal?) {
        self.request = request
        self.runID = runID
        self.startedAt = startedAt
        self.recorder = recorder
        self.vault = vault
        var byName: [String: any ExecutableAction] = [:]
        for a in actions where byName[a.spec.name] == nil { byName[a.spec.name] = a }
        self.actions = byName
        binder = CallBinder(catalog: ActionCatalog(actions.map { $0 as any ActionDefinition }), profile: request.profile)
        self.processes = processes
        self.prompter = prompter
        self.locks = locks
        self.secretFiles = secretFiles
        self.previous = previous
        recovery = RecoveryTimer(request.runbook)
    }

    var options: RunOptions { request.options }

    var planContext: PlanContext {
        PlanContext(profile: request.profile, runID: runID, stateDir: request.stateDirectory.root)
    }

    /// A nested runbook's `on_failure` steps, run after the saga like the top-level ones.
    func deferOnFailure(_ frame: Frame, _ steps: [Step]) {
        guard !steps.isEmpty else { return }
        lock.lock()
        pendingOnFailure.append((frame, steps))
        lock.unlock()
    }

    func takeDeferredOnFailure() -> [(Frame, [Step])] {
        lock.lock()
        defer { lock.unlock() }
        let out = pendingOnFailure
        pendingOnFailure = []
        return out
    }

    /// A step succeeded (or was done in an earlier attempt): from now on a refused
    /// confirmation stops a run that already did something.
    func noteCompleted() {
        lock.lock()
        completedSteps += 1
        lock.unlock()
    }

    /// A step (or loop iteration) at `path` failed under `on_failure: continue`: the run goes
    /// on, and ends "completed with failures" instead of succeeded.
    func noteFailedAndContinued(_ path: String) {
        lock.withLock { failedAndContinued.append(path) }
    }

    /// What failed under `on_failure: continue`, most specific first: a loop whose iterations
    /// failed is named by those iterations (`backup[db13]`), not by the loop itself.
    var failuresContinuedPast: [String] {
        let paths = lock.withLock { failedAndContinued }
        var seen = Set<String>()
        return paths.filter { path in
            !paths.contains { $0 != path && ($0.hasPrefix(path + "[") || $0.hasPrefix(path + "/")) } && seen.insert(path).inserted
        }
    }

    /// A confirmation at `path` was declined (or could not be asked).
    func noteRefusal(at path: String) {
        lock.lock()
        if refusedAt == nil { refusedAt = path }
        lock.unlock()
    }

    /// True when the run stopped at a declined confirmation before any step completed:
    /// nothing ran, so it ends as refused (exit 5), not failed.
    func refusedBeforeAnything(failedAt path: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let refusedAt, completedSteps == 0 else { return false }
        return refusedAt == path || refusedAt.hasPrefix(path + "/") || refusedAt.hasPrefix(path + "[")
    }

    /// The previous attempt's record for `path`, when resuming.
    func previousRecord(_ path: String) -> StepRecord? { previous?.step(path) }

    /// True when the previous attempt recorded steps inside `path` (a nested runbook),
    /// which must be re-entered rather than skipped so its own steps can be resumed.
    func previousHasChildren(_ path: String) -> Bool {
        previous?.steps.contains { $0.path.hasPrefix(path + "/") } ?? false
    }
}

/// One runbook being executed: the top-level one, or a child of `runbook.run`.
/// Its steps see its own params and its own steps' outputs.
final class Frame: @unchecked Sendable {
    let prefix: String
    let runbook: Runbook
    let params: [String: Value]
    let depth: Int
    private let lock = NSLock()
    private var outputs: [String: [String: Value]] = [:]

    init(prefix: String, runbook: Runbook, params: [String: Value], depth: Int) {
        self.prefix = prefix
        self.runbook = runbook
        self.params = params
        self.depth = depth
    }

    func path(_ stepID: String) -> String { prefix + stepID }

    func setOutputs(_ stepID: String, _ values: [String: Value]) {
        lock.lock()
        outputs[stepID] = values
        lock.unlock()
    }

    func scope(in run: RunState) -> Scope {
        lock.lock()
        let current = outputs
        lock.unlock()
        let declared = Set(runbook.secrets.map(\.name) + (run.request.profile?.secrets.map(\.name) ?? []))
        var scope = Scope(params: params, secretNames: declared.union(run.vault.all.keys), stepOutputs: current,
                          runID: run.runID, startedAt: run.startedAt, stateDir: run.request.stateDirectory.root)
        scope.groupMembers = run.request.profile?.groupMembers ?? [:]
        return scope
    }
}

/// A completed step (or loop iteration) that declared a rollback, with the scope it ran in.
struct SagaUnit: Sendable {
    var path: String
    /// The loop step this unit is an iteration of: undoing an iteration means the loop must run again on resume.
    var loop: String?
    var stepID: String
    var call: ActionCall
    var scope: Scope
    var timeout: Double?
}

/// The compensations to run, newest first, if the run fails.
final class Saga: @unchecked Sendable {
    private let lock = NSLock()
    private var units: [SagaUnit] = []

    func push(_ unit: SagaUnit) {
        lock.lock()
        units.append(unit)
        lock.unlock()
    }

    /// Newest first.
    var pending: [SagaUnit] {
        lock.lock()
        defer { lock.unlock() }
        return units.reversed()
    }
}
