import Foundation

/// Runs work under a time limit by cancelling it when the limit passes.
/// Cancellation is how the engine stops work: swift-subprocess answers it by
/// tearing the child's process group down, and actions see it as an interruption.
public enum Deadline {
    /// Runs `body`; if `timeout` seconds pass first, calls `onExpiry`, cancels
    /// `body` and still waits for it to return (so nothing is left running).
    public static func run<T: Sendable>(_ timeout: Double?, onExpiry: @escaping @Sendable () -> Void,
                                        _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let timeout else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1_000_000_000))
                if !Task.isCancelled { onExpiry() }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
                group.cancelAll()
            }
            throw CancellationError()
        }
    }
}
