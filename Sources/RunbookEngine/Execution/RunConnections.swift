import Foundation
import RunbookCore
#if canImport(Glibc)
import Glibc
#endif

/// The shared connections (`CommandLine.connection`) one run has opened: each is opened
/// once, before the first command that names it, and all are closed when the run ends.
final class RunConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var opened: [String: SharedConnection] = [:]
    private var order: [String] = []
    /// The open of each connection, which every command naming it waits for. One per key, not
    /// one for all: a fleet's members log in to their hosts at the same time, not one by one.
    private var opening: [String: Task<Void, Never>] = [:]

    /// Opens `connection` unless this run already did (or tried: a failed open is reported
    /// by the command, which then connects on its own).
    func ensure(_ connection: SharedConnection, using processes: any ProcessRunning) async throws {
        let open: Task<Void, Never> = try lock.withLock {
            if let started = opening[connection.key] { return started }
            try Self.makePrivateDirectory(connection.privateDirectory)
            opened[connection.key] = connection
            order.append(connection.key)
            let started = Task {
                _ = try? await processes.run(CommandLine(argv: connection.open), environment: [:], timeout: 60, onOutput: { _ in })
            }
            opening[connection.key] = started
            return started
        }
        await open.value
    }

    /// Closes every connection this run opened, in the order they were opened, then removes
    /// their directories (connections share one: removing it first would orphan the others).
    func closeAll(using processes: any ProcessRunning) async {
        // An open still under way would leave a master behind the close: let it finish first.
        for pending in lock.withLock({ Array(opening.values) }) { await pending.value }
        let all: [SharedConnection] = lock.withLock { order.compactMap { opened[$0] } }
        for connection in all {
            // Detached: the run may be ending because it was interrupted.
            await Task.detached {
                _ = try? await processes.run(CommandLine(argv: connection.close), environment: [:], timeout: 15, onOutput: { _ in })
            }.value
        }
        for directory in Set(all.map(\.privateDirectory)) { try? FileManager.default.removeItem(atPath: directory) }
        lock.withLock { opened.removeAll(); order.removeAll(); opening.removeAll() }
    }

    /// Creates `path` as 0700, or accepts an existing one only when this user owns it and
    /// nobody else can enter it: another user's directory could hold a socket of theirs.
    static func makePrivateDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw ProcessRunnerError.cannotStart("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid(),
              info.st_mode & 0o077 == 0 else {
            throw ProcessRunnerError.cannotStart("\(path) is not a directory that only this user can enter; refusing to keep a connection there")
        }
    }
}
