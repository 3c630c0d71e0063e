import Foundation
import RunbookCore

/// How a command runs on the far side of ssh, where everything it gets is one line of shell
/// text that `ps` shows to every user of the host.
///
/// - Secrets (`PGPASSWORD`) never enter that text: a local `sh` prints their values first
///   on ssh's stdin (`printf` is a builtin, so no argv holds them), and the remote shell
///   `read`s them into its environment before the command runs; the command's own stdin
///   (a restore's archive) follows. A secret must therefore be one line.
/// - Other environment values are `export`ed in the text: they are in the plan anyway.
/// - The remote shell is the leader of its own process group (sshd starts each session with
///   `setsid`); it writes its pid to `/tmp/.runbook-ssh-TOKEN.pid`, so that after a timeout or
///   an interruption, `killScript` stops the whole group there. Closing the channel alone
///   would not: without a terminal sshd signals nothing, and a `pg_dump` would run on.
struct RemoteCommand {
    var script: String
    var killScript: String
    /// The local producer for ssh's stdin, when secrets or a stdin stream must travel.
    var localStdin: [String]?

    init(_ command: CommandLine, token: String) {
        let pidFile = "/tmp/.runbook-ssh-\(token).pid"
        var secrets: [String] = []
        var parts = ["f=\(pidFile)", "(umask 077 && echo $$ >\"$f\")"]
        for (name, value) in command.environment.sorted(by: { $0.key < $1.key }) where Self.isName(name) {
            switch value {
            case .secret:
                secrets.append(name)
                parts.append("IFS= read -r \(name)")
                parts.append("export \(name)")
            case .literal(let text):
                parts.append("export \(name)=" + ShellQuote.quote(text))
            }
        }
        var run = command.argv.map(ShellQuote.quote).joined(separator: " ")
        if let directory = command.workingDirectory { run = "cd " + ShellQuote.quote(directory) + " && " + run }
        parts += [run, "s=$?", "rm -f \"$f\"", "exit $s"]
        script = parts.joined(separator: "; ")
        killScript = "f=\(pidFile); [ -s \"$f\" ] || exit 0; p=$(cat \"$f\"); kill -TERM -- -\"$p\" 2>/dev/null; sleep 1; kill -KILL -- -\"$p\" 2>/dev/null; rm -f \"$f\"; exit 0"

        if secrets.isEmpty {
            localStdin = command.stdinFrom
        } else {
            var printer = secrets.map { "printf '%s\\n' \"$\($0)\"" }.joined(separator: " && ")
            if command.stdinFrom != nil {
                printer += " && exec \"$@\""
            } else if command.stdinFile != nil {
                printer += " && exec cat"
            }
            localStdin = ["/bin/sh", "-c", printer, "runbook-ssh-stdin"] + (command.stdinFrom ?? [])
        }
    }

    /// Only portable variable names reach the remote shell's text.
    static func isName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || first.isASCII && first.isLetter else { return false }
        return name.allSatisfy { $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }
    }
}
