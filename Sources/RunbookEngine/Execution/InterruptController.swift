import Foundation

/// Turns SIGINT and SIGTERM into cancellation of the current phase of a run
/// (forward steps, the rollback question, the rollback itself).
///
/// Cancellation reaches the running step's process group through the process
/// runner (SIGINT, SIGTERM, SIGKILL). Children run in their own process groups,
/// so a Ctrl-C on the terminal reaches only runbook, which then decides.
/// Children get default signal dispositions back when they are spawned, so
/// ignoring the signals here does not leak into them.
final class InterruptController: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private var cancelCurrent: (() -> Void)?
    private var signals: [Int32] = []
    /// Read by the signal path and set by the interpreter: guarded by `lock`, like the rest.
    private var handler: (@Sendable (Int32) -> Void)?

    /// Starts catching the signals. The default action must be off before the
    /// dispatch source is created (libdispatch takes the signal over from there).
    func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.fire(sig) }
            source.resume()
            sources.append(source)
        }
    }

    func uninstall() {
        for s in sources { s.cancel() }
        sources.removeAll()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Signals received so far.
    var received: [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return signals
    }

    /// Calls `handler` for every signal from now on, and returns the signals received
    /// before it was set. Both happen under the lock, so each signal is seen exactly once:
    /// by the handler, or in the returned list.
    func onSignal(_ handler: @escaping @Sendable (Int32) -> Void) -> [Int32] {
        lock.withLock {
            self.handler = handler
            return signals
        }
    }

    /// Behaves as if `sig` had been received.
    func simulate(_ sig: Int32) { fire(sig) }

    private func fire(_ sig: Int32) {
        let (handler, cancel) = lock.withLock {
            signals.append(sig)
            return (self.handler, cancelCurrent)
        }
        // Called outside the lock: the handler writes the audit trail, which may block on disk.
        handler?(sig)
        cancel?()
    }

    /// Runs `body` as a task that the next signal cancels. Returns its result and
    /// whether a signal arrived while it ran. `since: 0` also counts signals that
    /// arrived before the phase began (the first phase of a run).
    func phase<T: Sendable>(since: Int? = nil, _ body: @escaping @Sendable () async -> T) async -> (value: T, interrupted: Bool) {
        let before = since ?? lock.withLock { signals.count }
        let alreadySignalled = lock.withLock { signals.count > before }
        let task = Task { () -> T in
            // Cancelled from its first instruction, so not even the first step starts.
            if alreadySignalled { withUnsafeCurrentTask { $0?.cancel() } }
            return await body()
        }
        let signalledMeanwhile = lock.withLock {
            cancelCurrent = { task.cancel() }
            return signals.count > before
        }
        if signalledMeanwhile { task.cancel() }
        let value = await task.value
        let interrupted = lock.withLock {
            cancelCurrent = nil
            return signals.count > before
        }
        return (value, interrupted)
    }
}
