import Foundation
import RunbookCore

/// How a command reaches the machine it acts on. Separate from *what* the command is:
/// `pg_dump` is the same argv locally and inside a compose service.
public enum Transport: Sendable, Hashable {
    case local
    case composeExec(project: ComposeTarget, service: String)
    /// On another host, over ssh; `inner` is how the command reaches its tool there.
    indirect case ssh(SSHConnection, inner: Transport)

    /// The compose service the tool runs in, here or on the ssh host.
    public var compose: (project: ComposeTarget, service: String)? {
        switch self {
        case .local: return nil
        case .composeExec(let project, let service): return (project, service)
        case .ssh(_, let inner): return inner.compose
        }
    }

    /// True when the tool runs on another host: files of this host reach it only as streams.
    public var isRemote: Bool {
        if case .ssh = self { return true }
        return false
    }

    /// Wraps an argv for this transport. Environment variable *names* are forwarded
    /// with `-e NAME` (no value), so docker reads values from our environment and
    /// secrets never appear in argv.
    public func wrap(_ command: CommandLine) -> CommandLine {
        switch self {
        case .local:
            return command
        case .composeExec(let project, let service):
            var argv = Transport.composeBase(project) + ["exec", "-T"]
            for name in command.environment.keys.sorted() { argv += ["-e", name] }
            if let wd = command.workingDirectory { argv += ["-w", wd] }
            argv.append(service)
            argv += command.argv
            var wrapped = command
            wrapped.argv = argv
            wrapped.transport = "compose exec \(service)"
            wrapped.workingDirectory = nil
            return wrapped
        case .ssh(let connection, let inner):
            return connection.wrap(inner.wrap(command))
        }
    }

    /// `docker compose --project-directory DIR [-f FILE ...] [-p NAME]`
    public static func composeBase(_ project: ComposeTarget) -> [String] {
        var argv = ["docker", "compose", "--project-directory", project.projectDir]
        for f in project.files { argv += ["-f", f] }
        if let p = project.projectName { argv += ["-p", p] }
        return argv
    }
}
