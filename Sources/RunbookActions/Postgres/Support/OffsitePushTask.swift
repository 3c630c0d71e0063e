import Foundation

/// Runs a repository push in a task of its own, off the cooperative thread pool.
///
/// `RepositoryStore.push(name:from:)` reads its FileHandle with blocking reads. Reading an
/// `OffsiteStream` blocks until the dump's verdict lets the end through, and the verdict needs
/// the pool (the runner awaits the dump's exit there): with two dumps in parallel on a 2-core
/// pool, two blocked readers would starve it. A task executor on a serial dispatch queue of its
/// own keeps those reads on a thread of their own.
enum OffsitePushTask {
    static func start<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Task<T, Error> {
        if #available(macOS 15.0, *) {
            return Task(executorPreference: BlockingReadsExecutor()) { try await body() }
        }
        return Task.detached { try await body() }
    }
}

@available(macOS 15.0, *)
private final class BlockingReadsExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "runbook.offsite-push")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
