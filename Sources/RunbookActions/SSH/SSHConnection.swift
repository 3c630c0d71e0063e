import Crypto
import Foundation
import RunbookCore

/// One ssh target as this run reaches it: the OpenSSH client's argv, sharing one
/// multiplexed connection per host and run. The control master is opened before the first
/// command (`SharedConnection`), its socket lives in a 0700 directory of the run, and the
/// engine closes it (`ssh -O exit`) when the run ends. Without the master (a plan's command
/// pasted by hand) each command connects on its own, with the same checks.
public struct SSHConnection: Sendable, Hashable {
    /// The profile's name for the target, for people.
    public var name: String
    public var target: SSHTarget
    /// `/tmp/runbook-ssh-RUNID`: short, because a unix socket path has at most 107 bytes.
    public var controlDirectory: String

    public init(name: String, target: SSHTarget, runID: String) {
        self.name = name
        self.target = target
        controlDirectory = "/tmp/runbook-ssh-" + DumpPipeline.safeComponent(runID)
    }

    /// Options every ssh process of this target gets: no prompts (a prompt nobody answers
    /// would hang the step), host keys verified, the control socket, then port and user
    /// (which, with the host, name the socket through `%C`).
    var options: [String] {
        var argv = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=" + (target.acceptNewHostKeys ? "accept-new" : "yes")]
        if let knownHosts = target.knownHosts { argv += ["-o", "UserKnownHostsFile=" + knownHosts] }
        if let identity = target.identityFile { argv += ["-i", identity, "-o", "IdentitiesOnly=yes"] }
        argv += ["-o", "ConnectTimeout=\(target.connectTimeout)", "-o", "ControlPath=" + controlDirectory + "/%C"]
        if let port = target.port { argv += ["-p", String(port)] }
        if let user = target.user { argv += ["-l", user] }
        return argv
    }

    /// `ssh -T ... -- HOST`: a command over the shared connection, without a terminal (a pty
    /// would mangle binary streams such as dumps).
    var commandPrefix: [String] { ["ssh", "-T", "-o", "ControlMaster=no"] + options + ["--", target.host] }

    /// The control master, opened once per run: `-f` returns once it is logged in. The run
    /// closes it; if runbook is killed first, it exits by itself after 10 idle minutes.
    var shared: SharedConnection {
        SharedConnection(key: controlDirectory + "|" + ([target.host] + options).joined(separator: " "), privateDirectory: controlDirectory,
                         open: ["ssh", "-f", "-N", "-o", "ControlMaster=yes", "-o", "ControlPersist=600"] + options + ["--", target.host],
                         close: ["ssh"] + options + ["-O", "exit", "--", target.host])
    }

    /// Runs `command` on the host. See `RemoteCommand` for how its environment and stdin travel.
    public func wrap(_ command: CommandLine) -> CommandLine {
        let remote = RemoteCommand(command, token: token(for: command))
        var wrapped = command
        wrapped.argv = commandPrefix + [remote.script]
        wrapped.stdinFrom = remote.localStdin
        wrapped.transport = command.transport == "local" ? "ssh \(name)" : "ssh \(name), \(command.transport)"
        wrapped.workingDirectory = nil
        wrapped.remoteArgv = command.remoteArgv ?? command.argv
        wrapped.connection = shared
        wrapped.teardown = commandPrefix + [remote.killScript]
        return wrapped
    }

    /// Names the remote pid file: stable between plan and run, different for each command.
    private func token(for command: CommandLine) -> String {
        let text = ([controlDirectory, target.host] + command.argv).joined(separator: "\u{0}")
        return SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
