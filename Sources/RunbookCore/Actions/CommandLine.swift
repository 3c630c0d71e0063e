import Foundation

/// An environment value for a child process. Secrets stay symbolic until the
/// process is spawned, so a plan can show *that* PGPASSWORD is set, never its value.
public enum EnvValue: Sendable, Hashable, Codable {
    case literal(String)
    case secret(String)
}

/// One process to start: built by an action's `plan`, shown by `runbook plan`,
/// and executed verbatim by `runbook run`. Never passed through a shell.
public struct CommandLine: Sendable, Hashable, Codable {
    /// The full argv, transport prefix included (e.g. `docker compose ... exec -T svc pg_dump ...`).
    public var argv: [String]
    /// "local" or "compose exec SERVICE", for people reading the plan.
    public var transport: String
    public var environment: [String: EnvValue]
    /// Read stdin from this file.
    public var stdinFile: String?
    /// Argv of a local process whose stdout feeds this command's stdin
    /// (e.g. `gzip -dc dump.sql.gz`). Both exit statuses are checked.
    public var stdinFrom: [String]?
    /// Write stdout to this file (the engine writes `<path>.partial` then renames on success).
    public var stdoutFile: String?
    /// Leave `<stdoutFile>.partial` in place (fsynced, hashed) after exit 0: the caller checks it
    /// and renames it itself, right before recording it (dump artifacts).
    public var stdoutStaysPartial: Bool
    public var workingDirectory: String?
    /// For a command that runs on another machine: the argv it runs there (inside the
    /// transport's text), so messages name the tool rather than `ssh`.
    public var remoteArgv: [String]?
    /// A connection this command travels over that outlives it (an ssh control master):
    /// the engine opens it once per run before the first command naming it, closes it at the end.
    public var connection: SharedConnection?
    /// Run after this command was torn down (timeout, interrupt): stops what it started on
    /// another machine, which killing the local processes does not reach.
    public var teardown: [String]?

    public init(argv: [String], transport: String = "local", environment: [String: EnvValue] = [:],
                stdinFile: String? = nil, stdinFrom: [String]? = nil, stdoutFile: String? = nil,
                stdoutStaysPartial: Bool = false, workingDirectory: String? = nil) {
        self.argv = argv
        self.transport = transport
        self.environment = environment
        self.stdinFile = stdinFile
        self.stdinFrom = stdinFrom
        self.stdoutFile = stdoutFile
        self.stdoutStaysPartial = stdoutStaysPartial
        self.workingDirectory = workingDirectory
    }

    /// A shell-quoted rendering for humans. It is never executed.
    public var displayString: String {
        var s = argv.map(ShellQuote.quote).joined(separator: " ")
        if let producer = stdinFrom { s = producer.map(ShellQuote.quote).joined(separator: " ") + " | " + s }
        if let i = stdinFile { s += " < " + ShellQuote.quote(i) }
        if let o = stdoutFile { s += " > " + ShellQuote.quote(stdoutStaysPartial ? o + ".partial" : o) }
        return s
    }
}

/// What a step would do, as shown by `plan`.
public enum PlannedOperation: Sendable, Hashable {
    /// A process, run exactly as shown.
    case command(CommandLine)
    /// Work the engine does itself (HTTP requests, file operations), described for people.
    case builtin(String)
}

public enum ShellQuote {
    /// POSIX single-quote quoting, only when needed.
    public static func quote(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
