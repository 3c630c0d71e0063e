import Foundation

/// Runs `body` for every item with at most `limit` running at once, handing results to
/// `onResult` as they finish (on the calling task, so it may mutate local state).
/// The first error cancels the rest and is rethrown once they have stopped.
func forEachConcurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int,
    _ body: @escaping @Sendable (Item) async throws -> Result,
    onResult: (Result) throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Result.self) { group in
        var next = items.makeIterator()
        for _ in 0..<max(1, limit) {
            guard let item = next.next() else { break }
            group.addTask { try await body(item) }
        }
        while let result = try await group.next() {
            try onResult(result)
            if let item = next.next() { group.addTask { try await body(item) } }
        }
    }
}
