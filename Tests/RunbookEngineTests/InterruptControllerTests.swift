import Foundation
@testable import RunbookEngine
import XCTest

/// The signal path and the interpreter share the controller from different threads.
/// Run under the Thread Sanitizer (`swift test --sanitize=thread`), these tests also
/// show that the handler is never read and written at once.
final class InterruptControllerTests: XCTestCase {
    /// Signals keep arriving from other threads while the interpreter sets its handler:
    /// each must be recorded once, by the handler or in the list of earlier signals,
    /// never twice (set, then a signal, then the list read) and never lost.
    func testEverySignalIsSeenExactlyOnceWhileTheHandlerIsBeingSet() {
        final class Counter: @unchecked Sendable {
            private let lock = NSLock()
            private var value = 0
            func add() { lock.withLock { value += 1 } }
            var count: Int { lock.withLock { value } }
        }
        let signalsPerRound = 40
        var mismatches: [String] = []
        for round in 0..<300 {
            let controller = InterruptController()
            let handled = Counter()
            let group = DispatchGroup()
            let start = DispatchSemaphore(value: 0)
            for _ in 0..<2 {
                DispatchQueue.global().async(group: group) {
                    start.wait()
                    for _ in 0..<(signalsPerRound / 2) { controller.simulate(SIGINT) }
                }
            }
            start.signal()
            start.signal()
            // Set the handler while the signals are arriving (most rounds land in the middle).
            usleep(UInt32(round % 7) * 20)
            let earlier = controller.onSignal { _ in handled.add() }
            group.wait()
            let seen = earlier.count + handled.count
            if seen != signalsPerRound {
                mismatches.append("round \(round): \(earlier.count) before + \(handled.count) handled")
            }
            XCTAssertEqual(controller.received.count, signalsPerRound)
        }
        XCTAssertEqual(mismatches, [], "each of \(signalsPerRound) signals must be seen exactly once")
    }

    /// A signal cancels the phase that is running, and the handler hears of it.
    func testASignalCancelsTheRunningPhaseAndReachesTheHandler() async {
        let controller = InterruptController()
        let heard = LockedSignals()
        _ = controller.onSignal { heard.append($0) }
        let result = await controller.phase {
            controller.simulate(SIGTERM)
            // Cancellation reaches the task; sleep ends early instead of after 30 s.
            try? await Task.sleep(nanoseconds: 30_000_000_000)
            return Task.isCancelled
        }
        XCTAssertTrue(result.value)
        XCTAssertTrue(result.interrupted)
        XCTAssertEqual(heard.all, [SIGTERM])
    }
}

private final class LockedSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int32] = []
    func append(_ sig: Int32) { lock.withLock { items.append(sig) } }
    var all: [Int32] { lock.withLock { items } }
}
