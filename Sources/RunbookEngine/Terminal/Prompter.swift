import Foundation

/// Asks the operator questions. Only a terminal can answer: without one,
/// destructive steps and checklists need `--yes`.
public protocol Prompter: Sendable {
    /// True when a person can answer (stdin and stderr are terminals).
    var isInteractive: Bool { get }
    /// Shows `question` and returns the typed line, or nil on end of input or interruption.
    func ask(_ question: String) async -> String?
}

/// Reads answers from stdin, asks on stderr.
public final class TerminalPrompter: Prompter, @unchecked Sendable {
    public let isInteractive: Bool
    private let reader = LineReader()

    public init() {
        isInteractive = isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1
    }

    public func ask(_ question: String) async -> String? {
        RawOutput.write(question, to: STDERR_FILENO)
        let answer = await reader.nextLine()
        if answer == nil { RawOutput.write("\n", to: STDERR_FILENO) }
        return answer
    }
}

/// One background thread reads stdin; each line goes to whoever is waiting, or
/// waits for the next question (type-ahead). A question abandoned by an
/// interruption does not keep its own reader, so the next question (e.g.
/// "roll back?") gets the next line the operator types.
final class LineReader: @unchecked Sendable {
    private let lock = NSLock()
    private var waiter: CheckedContinuation<String?, Never>?
    private var started = false
    private var finished = false
    private var queued: [String] = []

    func nextLine() async -> String? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                lock.lock()
                if !queued.isEmpty {
                    let line = queued.removeFirst()
                    lock.unlock()
                    continuation.resume(returning: line)
                    return
                }
                if finished || Task.isCancelled {
                    lock.unlock()
                    continuation.resume(returning: nil)
                    return
                }
                waiter = continuation
                waiterID = id
                if !started {
                    started = true
                    Thread.detachNewThread { [self] in readLoop() }
                }
                lock.unlock()
            }
        } onCancel: {
            deliver(nil, to: id)
        }
    }

    private var waiterID: UUID?

    private func deliver(_ line: String?, to id: UUID?) {
        lock.lock()
        guard let w = waiter, id == nil || id == waiterID else {
            if let line, id == nil { queued.append(line) }
            lock.unlock()
            return
        }
        waiter = nil
        waiterID = nil
        lock.unlock()
        w.resume(returning: line)
    }

    private func readLoop() {
        while true {
            let line = Swift.readLine(strippingNewline: true)
            if line == nil {
                lock.lock()
                finished = true
                lock.unlock()
                deliver(nil, to: nil)
                return
            }
            deliver(line, to: nil)
        }
    }
}
