import Crypto
import Foundation
import RunbookCore
import RunbookEngine

/// Where `pitr.archive-covers` reads the WAL archive: the archive directory on the server's
/// machine, or the repository's `wal/` keys (`runbook wal-push`). From the repository, the
/// listing is the keys; segments that must be read with pg_waldump are fetched first
/// (decrypted, sha256 checked) into a private local directory, which pg_waldump then reads;
/// for compose they are then copied beside the data directory, where pg_waldump runs in the container.
final class ArchiveSource {
    static let inputs = [
        InputSpec("repository", .target(.repository), "Check the repository's WAL archive (`runbook wal-push`) instead of archive_dir."),
        InputSpec("identity", .secret, "With repository: the age identity file's text, as `${secrets.NAME}`, to read segments with pg_waldump (time and restore point targets)."),
    ]

    /// The directory pg_waldump reads.
    let directory: String
    /// For messages: the archive directory or the repository.
    let described: String
    private let wal: WALArchive?
    private let identities: [AgeIdentity]
    private var fetched = Set<String>()

    private init(directory: String, described: String, wal: WALArchive?, identities: [AgeIdentity]) {
        self.directory = directory
        self.described = described
        self.wal = wal
        self.identities = identities
    }

    static func open(_ call: ResolvedCall, _ server: PITRServer, _ run: PITRRun) throws -> ArchiveSource {
        guard call.has("repository") else {
            let dir = ArchiveCommands.trimmed(try call.string("archive_dir"))
            return ArchiveSource(directory: dir, described: "the archive \(dir)", wal: nil, identities: [])
        }
        let identities = call.has("identity") ? try RepositoryCallSupport.identities(call, run.context) : []
        let scratch = try run.scratchDirectory() + "/wal"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let source = ArchiveSource(directory: server.isCompose ? try containerDirectory(server) : scratch,
                                   described: "the WAL archive in \(try BaseBackupOffsite.location(call))",
                                   wal: try WALArchive(config: try BaseBackupOffsite.config(call, run.context)), identities: identities)
        if server.isCompose { source.container = (server, run, scratch) }
        return source
    }

    /// For compose, pg_waldump runs in the container: the segments it reads are copied to
    /// `<data_dir>.waldump-<run id>`, beside the data directory (on its volume), and removed by `close`.
    static func containerDirectory(_ server: PITRServer) throws -> String {
        try server.dataDir() + ".waldump-" + DataDirectory.safe(server.runID)
    }

    /// Compose: where segments are copied (the container) and fetched first (this machine).
    private var container: (server: PITRServer, run: PITRRun, local: String)?

    /// The archive's file names.
    func names(_ server: PITRServer, _ run: PITRRun, list: CommandLine) async throws -> [String] {
        guard let wal else { return try await run.rows(list, "listing \(described)") }
        do { return try await wal.list().map(\.name) } catch { throw PITRFailure("listing \(described): \(error)") }
    }

    /// Makes `names` readable in `directory` (a no-op for an archive directory).
    func make(available names: [String]) async throws {
        guard let wal else { return }
        guard !identities.isEmpty else { throw PITRFailure("reading segments of \(described) needs the identity (input identity)") }
        for name in names where !fetched.contains(name) {
            do {
                let local = (container?.local ?? directory) + "/" + name
                guard try await wal.fetch(name: name, to: local, identities: identities) else {
                    throw PITRFailure("\(name) is not in \(described)")
                }
                if let (server, run, _) = container {
                    defer { unlink(local) }
                    let sha256 = RepositoryStore.hex(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: local))))
                    try await ContainerCopy.copy(local, server, to: directory + "/" + name, sha256: sha256, run)
                }
            } catch let failure as PITRFailure {
                throw failure
            } catch {
                throw PITRFailure("fetching \(name) from \(described): \(error)")
            }
            fetched.insert(name)
        }
    }

    /// Deletes what was fetched (it is in the action's scratch directory, removed anyway).
    func close() async {
        if let (server, run, _) = container {
            if !fetched.isEmpty { _ = try? await run.attempt(server.onHost(["rm", "-rf", "--", directory], serverStopped: true), timeout: 120) }
        } else {
            for name in fetched { unlink(directory + "/" + name) }
        }
        await wal?.shutdown()
    }
}
