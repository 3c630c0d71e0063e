import Foundation
import RunbookCore

/// Moving an artifact between this host and a compose service's container, for the cases
/// stdin/stdout cannot carry: directory archives (many files) and parallel `pg_restore -j`
/// (which cannot read stdin). Uses `docker compose cp`, then removes the container copy.
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

    /// `docker compose ... cp HOST SERVICE:PATH`
    func copyIn(from hostPath: String) -> CommandLine {
        CommandLine(argv: Transport.composeBase(project) + ["cp", hostPath, "\(service):\(containerPath)"],
                    transport: "local")
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
