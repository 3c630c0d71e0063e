import RunbookCore

extension TargetKindID {
    /// A docker compose project.
    public static let compose = TargetKindID("compose")
}

/// Target kind `compose`: a docker compose (v2) project.
public struct ComposeTarget: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.compose, of: ComposeTarget.self, summary: "A docker compose (v2) project.", keys: [
        TargetKeySpec("project_dir", .string, required: true, "The compose project directory (`--project-directory`)."),
        TargetKeySpec("files", .stringList, "Compose files (`-f`), relative to the project directory; without it, compose's own lookup."),
        TargetKeySpec("project_name", .string, "Compose project name (`-p`)."),
        TargetKeySpec("ssh", .target(.ssh), "The `ssh` target of the host the project runs on; omitted means this host."),
    ])

    public var projectDir: String
    public var files: [String]
    public var projectName: String?
    /// The ssh target of the host the project runs on; nil for this host.
    public var ssh: String?

    public init(projectDir: String, files: [String] = [], projectName: String? = nil, ssh: String? = nil) {
        self.projectDir = projectDir
        self.files = files
        self.projectName = projectName
        self.ssh = ssh
    }

    public init(fields: TargetFields) {
        self.init(projectDir: fields.string("project_dir") ?? "", files: fields.strings("files") ?? [],
                  projectName: fields.string("project_name"), ssh: fields.string("ssh"))
    }

    public var secretNames: [String] { [] }
}

extension TargetBinding {
    public static func compose(_ target: ComposeTarget) -> TargetBinding { TargetBinding(target) }
}

extension PlanContext {
    /// How `docker compose` itself reaches the project: here, or on its ssh host.
    public func hostTransport(for project: ComposeTarget) throws -> Transport {
        guard let host = project.ssh else { return .local }
        return .ssh(try sshConnection(host), inner: .local)
    }

    /// `docker compose exec -T SERVICE`, on the project's host.
    public func transport(for project: ComposeTarget, service: String) throws -> Transport {
        let exec = Transport.composeExec(project: project, service: service)
        guard let host = project.ssh else { return exec }
        return .ssh(try sshConnection(host), inner: exec)
    }
}
