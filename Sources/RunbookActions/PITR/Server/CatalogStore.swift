import Foundation
import RunbookCore

/// Reads and writes the base-backup catalog where the backups are (on the server's machine,
/// or in its container), through the same commands as everything else. A write replaces the
/// whole file: `catalog.json.partial` written with `dd conv=fsync`, renamed, directory fsynced.
struct CatalogStore {
    let server: PITRServer
    let directory: String
    /// For compose: read through a one-off container, because the server's is stopped.
    let serverStopped: Bool

    init(server: PITRServer, directory: String, serverStopped: Bool = false) {
        self.server = server
        self.directory = ArchiveCommands.trimmed(directory)
        self.serverStopped = serverStopped
    }

    var path: String { directory + "/" + BaseBackupCatalog.fileName }

    var exists: CommandLine { server.onHost(["test", "-f", path], serverStopped: serverStopped) }
    var read: CommandLine { server.onHost(["cat", "--", path], serverStopped: serverStopped) }

    func writeCommands(stdinFile: String) -> [CommandLine] {
        [server.onHost(["dd", "of=" + path + ".partial", "conv=fsync", "status=none"], stdinFile: stdinFile),
         server.onHost(["mv", "-T", "--", path + ".partial", path]),
         server.onHost(["sync", "--", directory])]
    }

    /// The catalog, or an empty one when the file does not exist yet.
    func load(_ run: PITRRun) async throws -> BaseBackupCatalog {
        guard try await run.attempt(exists, timeout: 60).succeeded else { return BaseBackupCatalog() }
        let data = try await run.must(read, "reading the backup catalog \(path)").stdout
        do {
            return try BaseBackupCatalog.decode(data)
        } catch {
            throw PITRFailure("the backup catalog \(path) cannot be read: \(error)")
        }
    }

    func save(_ catalog: BaseBackupCatalog, _ run: PITRRun) async throws {
        let text = String(decoding: try catalog.encoded(), as: UTF8.self)
        let file = try run.scratchFile("catalog.json", text)
        for command in writeCommands(stdinFile: file) {
            try await run.must(command, "writing the backup catalog \(path)")
        }
    }
}
