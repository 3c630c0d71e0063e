import Foundation
import RunbookCore
import RunbookEngine

/// Runs a command whose stdout goes to the repository as one entry, with no copy on disk:
/// the runner writes (and hashes) stdout into a FIFO (`OffsiteStream`) that
/// `RepositoryStore.push` reads (sha256, age, multipart). The end of the stream is let through
/// only after the command exited 0; a failed command's upload is cancelled and aborted, so it
/// is never listed, and should it have been listed anyway it is removed again (and audited).
struct RepositoryStream {
    let store: RepositoryStore
    let run: PITRRun

    /// - Parameters:
    ///   - fifo: a path in a private local directory; `FIFO.partial` is the stream while it runs.
    func push(_ command: CommandLine, as name: String, fifo: String, what: String, timeout: Double?) async throws -> (ProcessResult, RepositoryStore.Pushed) {
        var streamed = command
        streamed.stdoutFile = fifo
        streamed.stdoutStaysPartial = true
        let stream: OffsiteStream
        do { stream = try OffsiteStream(fifoPath: fifo + ".partial") } catch { throw PITRFailure("\(error)") }
        defer { stream.remove() }
        let store = self.store
        let upload = OffsitePushTask.start { try await store.push(name: name, from: stream.pushInput, metadata: nil) }

        var failure: Error?
        var result: ProcessResult?
        do { result = try await run.attempt(streamed, timeout: timeout, show: true) } catch { failure = error }
        await stream.awaitSourceEnd()
        if failure == nil, let result, !result.succeeded { failure = PITRFailure(PITRRun.describe(what, streamed, result)) }
        if failure == nil, Task.isCancelled { failure = PITRFailure("\(what): interrupted") }
        if let failure {
            upload.cancel()
            stream.release()
            if (try? await upload.value) != nil { await withdraw(name, why: "\(what) failed after its stream was pushed") }
            throw failure
        }
        stream.release()
        let pushed: RepositoryStore.Pushed
        do { pushed = try await upload.value } catch { throw PITRFailure("\(what): pushing \(name) failed: \(error)") }
        if let sha = result?.stdoutSHA256, sha != pushed.plaintextSHA256 {
            await withdraw(name, why: "the repository hashed \(pushed.plaintextSHA256) but the command wrote \(sha)")
            throw PITRFailure("\(name): the pushed plaintext's sha256 differs from what \(what) wrote; the pushed copy was removed")
        }
        return (result!, pushed)
    }

    /// Removes an entry that must not stay listed, and says so in the audit trail.
    func withdraw(_ name: String, why: String) async {
        let removed = (try? await store.remove(names: [name])) ?? [:]
        run.context.audit("repository.delete", ["name": .string(name), "reason": .string(why), "removed": .bool(!removed.isEmpty)])
    }
}
