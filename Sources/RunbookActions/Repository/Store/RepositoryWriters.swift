import Foundation

/// Process-wide bookkeeping of repository writes: which object keys are being uploaded right
/// now (so a concurrent push's clean-up does not take them for leftovers), and one lock per
/// manifest (so two pushes of one run do not overwrite each other's entry).
final class RepositoryWriters: @unchecked Sendable {
    static let shared = RepositoryWriters()

    private let state = NSLock()
    private var inFlight: Set<String> = []
    private var held: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func begin(_ key: String) { state.withLock { _ = inFlight.insert(key) } }
    func end(_ key: String) { state.withLock { _ = inFlight.remove(key) } }
    func isInFlight(_ key: String) -> Bool { state.withLock { inFlight.contains(key) } }

    /// Waits until no one else holds `name`, then holds it. FIFO.
    func lock(_ name: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired: Bool = state.withLock {
                if held.contains(name) {
                    waiting[name, default: []].append(continuation)
                    return false
                }
                held.insert(name)
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    /// Hands `name` to the next waiter, or frees it.
    func unlock(_ name: String) {
        let next: CheckedContinuation<Void, Never>? = state.withLock {
            if var queue = waiting[name], !queue.isEmpty {
                let first = queue.removeFirst()
                waiting[name] = queue.isEmpty ? nil : queue
                return first
            }
            held.remove(name)
            return nil
        }
        next?.resume()
    }
}
