import ArgumentParser
import RunbookEngine

/// The `runbook` command: validate, plan and run declarative runbooks.
public struct RunbookCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runbook",
        abstract: "Validate, review and run declarative backup and recovery runbooks.",
        discussion: """
        Runbooks (runbooks/NAME.yaml) say what to do; profiles (profiles/NAME.yaml) say where.
        Exit codes: \(RunbookExitCode.summary)
        """,
        version: "0.1.0",
        subcommands: [
            ValidateCommand.self,
            PlanCommand.self,
            RunCommand.self,
            ResumeCommand.self,
            DocsCommand.self,
            ListCommand.self,
            ActionsCommand.self,
            SchemaCommand.self,
            AuditCommand.self,
            HistoryCommand.self,
            ShowCommand.self,
            InfoCommand.self,
            ScheduleCommand.self,
            WalPushCommand.self,
            WalFetchCommand.self,
        ]
    )

    public init() {}
}
