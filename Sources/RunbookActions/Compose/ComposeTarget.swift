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
    ])

    public var projectDir: String
    public var files: [String]
    public var projectName: String?

    public init(projectDir: String, files: [String] = [], projectName: String? = nil) {
        self.projectDir = projectDir
        self.files = files
        self.projectName = projectName
    }

    public init(fields: TargetFields) {
        self.init(projectDir: fields.string("project_dir") ?? "", files: fields.strings("files") ?? [],
                  projectName: fields.string("project_name"))
    }

    public var secretNames: [String] { [] }
}

extension TargetBinding {
    public static func compose(_ target: ComposeTarget) -> TargetBinding { TargetBinding(target) }
}
