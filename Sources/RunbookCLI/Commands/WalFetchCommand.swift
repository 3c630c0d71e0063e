import ArgumentParser
import Foundation
import RunbookActions

/// `runbook wal-fetch`: PostgreSQL's restore_command for the offsite repository.
struct WalFetchCommand: AsyncParsableCommand {
    /// Above 125: PostgreSQL aborts recovery (FATAL) instead of taking the failure for the end of
    /// the archive and promoting early, which would silently lose every later transaction.
    static let abortRecovery: Int32 = 126

    static let configuration = CommandConfiguration(
        commandName: "wal-fetch",
        abstract: "Fetch one WAL file from the repository and decrypt it (for restore_command).",
        discussion: """
        restore_command = 'runbook wal-fetch --config CONFIG --identity IDENTITY %f %p'

        Runs as the server user with no profile; both files must be mode 0600 and owned by that user. The identity file holds the age identity (from age-keygen) that a recovery writes for the server and removes when it ends; it is never given on the command line.

        The file is decrypted, its sha256 checked against the one in its key, and only then renamed into place (through DEST.partial).

        Exit 0: fetched. Exit 1: the repository has no such file (PostgreSQL's "end of archive", answered after one listing). Exit 126: anything else (a tampered or truncated object, a wrong identity, an unreachable repository): above 125, PostgreSQL stops the recovery with an error instead of ending it early at the last file it could read.
        """
    )

    @Option(help: "The repository configuration file (0600, owned by the server user).")
    var config: String

    @Option(help: "The age identity file (0600, owned by the server user).")
    var identity: String

    @Argument(help: "The file to fetch (%f).")
    var name: String

    @Argument(help: "Where to write it (%p).")
    var destination: String

    func run() async throws {
        let found: Bool
        do {
            let repository = try WALCommandFiles.loadConfig(path: config)
            let identities = try WALCommandFiles.loadIdentities(path: identity)
            let archive = try WALArchive(config: repository)
            do {
                found = try await archive.fetch(name: name, to: destination, identities: identities)
            } catch {
                await archive.shutdown()
                throw error
            }
            await archive.shutdown()
        } catch {
            FileHandle.standardError.write(Data("runbook wal-fetch: error: \(name): \(error)\n".utf8))
            throw ExitCode(Self.abortRecovery)
        }
        guard found else {
            FileHandle.standardError.write(Data("runbook wal-fetch: \(name) is not in the repository\n".utf8))
            throw ExitCode(1)
        }
    }
}
