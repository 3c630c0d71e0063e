import Foundation

/// In-order consumers of the same pieces (a download's hashes and its file write), each on a
/// thread of its own, run as a pipeline: a piece goes to every lane at once, and the producer
/// waits only while `backlog` pieces are unfinished. `TwoLanes` waits for both lanes after every
/// piece, so on a busy machine one lane's descheduled thread holds up the other and the download.
///
/// Every piece handed to `submit` must be followed by `finish` (or `drain` on an error path)
/// before the state the lanes touch (a file, a hasher) goes away: lanes run after `submit` returns.
/// `@unchecked Sendable`: the counters are guarded by `lock`; each lane's closure runs on its own
/// serial queue only, so a lane's state is touched by one thread at a time.
final class PieceLanes<Piece: Sendable>: @unchecked Sendable {
    private let queues: [DispatchQueue]
    private let lanes: [(Piece) throws -> Void]
    private let backlog: Int
    private let lock = NSLock()
    private var unfinished = 0
    private var failure: Error?
    private var waiter: (limit: Int, continuation: CheckedContinuation<Void, Never>)?

    /// - Parameters:
    ///   - backlog: pieces handed over and not yet done by every lane, at most.
    ///   - lanes: each sees every piece, in order, on its own thread.
    init(backlog: Int, lanes: [(Piece) throws -> Void]) {
        self.backlog = max(1, backlog)
        self.lanes = lanes
        queues = lanes.indices.map { DispatchQueue(label: "runbook.download-lane.\($0)") }
    }

    /// Hands `piece` to every lane once fewer than `backlog` pieces are unfinished. Throws the
    /// first error a lane threw (lanes skip every piece after one failed).
    func submit(_ piece: Piece) async throws {
        await wait(untilAtMost: backlog - 1)
        try lock.withLock { if let failure { throw failure } }
        let remaining = Countdown(lanes.count)
        lock.withLock { unfinished += 1 }
        for (queue, lane) in zip(queues, lanes) {
            queue.async {
                if self.lock.withLock({ self.failure == nil }) {
                    do {
                        try lane(piece)
                    } catch {
                        self.lock.withLock { if self.failure == nil { self.failure = error } }
                    }
                }
                if remaining.tick() { self.pieceDone() }
            }
        }
    }

    /// Waits until every lane is done with every piece; throws the first error a lane threw.
    func finish() async throws {
        await drain()
        try lock.withLock { if let failure { throw failure } }
    }

    /// Waits until every lane is done with every piece, whatever happened.
    func drain() async {
        await wait(untilAtMost: 0)
    }

    private func wait(untilAtMost limit: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = lock.withLock {
                if unfinished <= limit { return true }
                waiter = (limit, continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func pieceDone() {
        let resume = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            unfinished -= 1
            guard let waiter, unfinished <= waiter.limit else { return nil }
            self.waiter = nil
            return waiter.continuation
        }
        resume?.resume()
    }

    /// How many lanes still have a piece; the last one to finish it says so.
    private final class Countdown: @unchecked Sendable {
        private let lock = NSLock()
        private var left: Int
        init(_ count: Int) { left = count }
        func tick() -> Bool { lock.withLock { left -= 1; return left == 0 } }
    }
}
