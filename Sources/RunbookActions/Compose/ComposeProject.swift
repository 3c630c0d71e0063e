import RunbookCore

/// Shared input handling for compose actions: the project target and its base argv.
enum ComposeProject {
    static let targetInput = InputSpec("target", .target(.compose), required: true, "The compose project (a `compose` target in the profile).")
    static let servicesInput = InputSpec("services", .list(.string), "Services to act on; all services when omitted.")

    static func project(_ call: ResolvedCall) throws -> ComposeTarget {
        try call.target("target", as: ComposeTarget.self)
    }

    /// `docker compose --project-directory DIR [-f F] [-p P] <subcommand...>`, over ssh when
    /// the project's target names an ssh host.
    static func command(_ call: ResolvedCall, _ arguments: [String], in context: PlanContext) throws -> CommandLine {
        let project = try project(call)
        let command = CommandLine(argv: Transport.composeBase(project) + arguments, transport: "local")
        return try context.hostTransport(for: project).wrap(command)
    }
}
