import Foundation

/// Runs two independent pieces of work on the same bytes at once, on two threads. The hashes of
/// a download (SHA-256 and MD5 of one stream, or the ciphertext's and the plaintext's sha256)
/// each run in order within their own stream but do not depend on each other, so each can take
/// a core instead of waiting for the other.
enum TwoLanes {
    /// Runs `first` and `second` concurrently and returns when both are done; rethrows the
    /// first one's error, else the second's. They must not touch the same state.
    static func run(_ first: () throws -> Void, _ second: () throws -> Void) throws {
        var firstError: Error?, secondError: Error?
        DispatchQueue.concurrentPerform(iterations: 2) { lane in
            if lane == 0 {
                do { try first() } catch { firstError = error }
            } else {
                do { try second() } catch { secondError = error }
            }
        }
        if let error = firstError ?? secondError { throw error }
    }
}
