import Foundation

/// A long-lived helper process that several commands of one run share, such as an ssh
/// control master: opened once per run before the first command that names it (`key`),
/// closed when the run ends. Commands still work without it (ssh falls back to a
/// connection of its own), so a failure to open it is reported by the command itself.
public struct SharedConnection: Sendable, Hashable, Codable {
    /// Commands with the same key share one connection.
    public var key: String
    /// A directory created (mode 0700, owned by this user) before `open` runs: where the
    /// control socket lives, so no other user can reach the connection.
    public var privateDirectory: String
    /// Starts the helper; it must detach and exit once the connection is ready.
    public var open: [String]
    /// Stops the helper.
    public var close: [String]

    public init(key: String, privateDirectory: String, open: [String], close: [String]) {
        self.key = key
        self.privateDirectory = privateDirectory
        self.open = open
        self.close = close
    }
}
