import Foundation
import RunbookCore

/// Moving an artifact between this host and a compose service's container, for the cases
/// stdin/stdout cannot carry: directory archives (many files) and parallel `pg_restore -j`
/// (which cannot read stdin). Copies in by streaming through `docker compose exec -T` as the
/// service's own user, copies out with `docker compose cp`, then removes the container copy.
struct ContainerStaging: Sendable {
    var project: ComposeTarget
    var service: String
    /// Path inside the container.
    var containerPath: String

    init?(_ endpoint: PostgresEndpoint, runID: String, name: String) {
        guard case .composeExec(let project, let service) = endpoint.transport else { return nil }
        self.project = project
        self.service = service
        self.containerPath = "/tmp/runbook-" + DumpPipeline.safeComponent(runID) + "-" + DumpPipeline.safeComponent(name)
    }

    /// Streams a host file (`dd`) or directory (`tar`) into the container, written by the user
    /// `exec` runs as. `docker compose cp` would leave a root-owned copy that a non-root
    /// service (`user: postgres`) can neither read (0600 dumps) nor remove (sticky /tmp).
    func copyIn(from hostPath: String, isDirectory: Bool) -> [CommandLine] {
        let exec = Transport.composeExec(project: project, service: service)
        guard isDirectory else {
            return [exec.wrap(CommandLine(argv: ["dd", "of=" + containerPath, "bs=1M", "status=none"], stdinFile: hostPath))]
        }
        return [exec.wrap(CommandLine(argv: ["mkdir", "-p", containerPath])),
                exec.wrap(CommandLine(argv: ["tar", "-x", "-f", "-", "-C", containerPath], stdinFrom: ["tar", "-C", hostPath, "-c", "-f", "-", "."]))]
    }

    /// `docker compose ... cp SERVICE:PATH HOST`
    func copyOut(to hostPath: String) -> CommandLine {
        CommandLine(argv: Transport.composeBase(project) + ["cp", "\(service):\(containerPath)", hostPath],
                    transport: "local")
    }

    /// `docker compose ... exec -T SERVICE rm -rf PATH`
    var remove: CommandLine {
        Transport.composeExec(project: project, service: service).wrap(CommandLine(argv: ["rm", "-rf", containerPath]))
    }
}
