import Foundation

/// Where runs keep their records: `--state-dir`, else `$XDG_STATE_HOME/runbook`,
/// else `~/.local/state/runbook`.
///
///     audit.jsonl              the hash-chained audit trail of every run
///     runs/<RUN_ID>/journal.json
///     runs/<RUN_ID>/processes  process groups alive right now (for resume after kill -9)
///     runs/<RUN_ID>/secrets/   0600 secret files, deleted when the run ends
///     locks/<NAME>.lock
public struct StateDirectory: Sendable {
    public var root: String

    public init(root: String) { self.root = root }

    public static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> StateDirectory {
        if let explicit, !explicit.isEmpty { return StateDirectory(root: absolute(explicit)) }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
            return StateDirectory(root: absolute((xdg as NSString).appendingPathComponent("runbook")))
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return StateDirectory(root: (home as NSString).appendingPathComponent(".local/state/runbook"))
    }

    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(expanded)
    }

    public var auditPath: String { path("audit.jsonl") }
    public var runsDirectory: String { path("runs") }
    public var locksDirectory: String { path("locks") }
    public func runDirectory(_ runID: String) -> String { (runsDirectory as NSString).appendingPathComponent(runID) }
    public func journalPath(_ runID: String) -> String { (runDirectory(runID) as NSString).appendingPathComponent("journal.json") }
    public func processesPath(_ runID: String) -> String { (runDirectory(runID) as NSString).appendingPathComponent("processes") }
    public func secretsDirectory(_ runID: String) -> String { (runDirectory(runID) as NSString).appendingPathComponent("secrets") }

    private func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    /// Creates the directories (0700: journals hold params and outputs).
    public func prepare() throws {
        for dir in [root, runsDirectory, locksDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
    }

    /// Run ids of every journal, oldest first (ids sort by time).
    public func runIDs() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runsDirectory)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: journalPath($0)) }.sorted()
    }
}

/// Run ids sort by start time: `20261126T130501Z-ab12cd` (UTC time, then 6 random hex digits).
public enum RunID {
    public static func make(at date: Date = Date()) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&t, &parts)
        let stamp = String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                           parts.tm_hour, parts.tm_min, parts.tm_sec)
        return stamp + "-" + String(format: "%06x", UInt32.random(in: 0...0xFFFFFF))
    }

    public static func isValid(_ s: String) -> Bool {
        s.range(of: #"^\d{8}T\d{6}Z-[0-9a-f]{6}$"#, options: .regularExpression) != nil
    }
}
