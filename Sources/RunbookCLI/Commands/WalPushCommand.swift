import ArgumentParser
import Foundation
import RunbookActions

/// `runbook wal-push`: PostgreSQL's archive_command for the offsite repository.
struct WalPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-push",
        abstract: "Archive one WAL file to the repository, encrypted (for archive_command).",
        discussion: """
        archive_command = 'runbook wal-push --config /path/to/wal-repository.json %p'

        Runs on the database host or inside the postgres container, as the server user, with no profile. The configuration file (a repository's endpoint, region, bucket, prefix, accessKey, secretKey and age recipients as JSON; see docs/repository.md) must be mode 0600 and owned by that user. No identity is needed: the host can encrypt but not decrypt.

        The file is stored as PREFIX/wal/NAME.SHA256.age with one PUT, visible only once complete.

        Exit 0: archived, or the same bytes were archived before (a retry). Exit 1: not archived (unreachable repository, bad configuration, or a DIFFERENT file already archived under that name, which is never overwritten); PostgreSQL keeps the file and retries.
        """
    )

    @Option(help: "The repository configuration file (0600, owned by the server user).")
    var config: String

    @Argument(help: "The WAL file to archive (%p); its name (%f) is the last path component.")
    var path: String

    func run() async throws {
        do {
            let archive = try WALArchive(config: try WALCommandFiles.loadConfig(path: config))
            let outcome: WALArchive.PushOutcome
            do {
                outcome = try await archive.push(path: path)
            } catch {
                await archive.shutdown()
                throw error
            }
            await archive.shutdown()
            if case .alreadyArchived(let stored) = outcome {
                FileHandle.standardError.write(Data("runbook wal-push: \(stored.name) was already archived with the same contents\n".utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("runbook wal-push: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
