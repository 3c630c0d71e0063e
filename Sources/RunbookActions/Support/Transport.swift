import Foundation
import RunbookCore

/// How a command reaches the machine it acts on. Separate from *what* the command is:
/// `pg_dump` is the same argv locally and inside a compose service.
public enum Transport: Sendable, Hashable {
    case local
    case composeExec(project: ComposeTarget, service: String)

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
