import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.drop-database`: refuses while other sessions are connected, unless
/// `terminate_connections: true` (then `DROP DATABASE ... WITH (FORCE)`).
struct DropDatabase: ExecutableAction {
    let spec = ActionSpec(
        "postgres.drop-database",
        summary: "Drop a database; refuses while others are connected unless terminate_connections.",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("The database to drop."),
            InputSpec("terminate_connections", .bool, default: .bool(false),
                      "Terminate other sessions (DROP ... WITH (FORCE)) instead of refusing."),
            InputSpec("if_exists", .bool, default: .bool(false), "Succeed when the database does not exist."),
        ],
        destructive: true
    )

    func commands(_ call: ResolvedCall, _ context: PlanContext) throws -> DatabaseStatements.DropCommands {
        let endpoint = try PostgresEndpoint(call, in: context)
        return try DatabaseStatements.dropCommands(endpoint, database: try call.string("database"),
                                                   terminate: try call.bool("terminate_connections"),
                                                   ifExists: try call.bool("if_exists"))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let c = try commands(call, context)
        return [.command(c.inspect), .builtin(DatabaseStatements.describe(c)), .command(c.drop)]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let c = try commands(call, context.plan)
        if let failure = try await DatabaseStatements.runDrop(c, in: context) { return failure }
        return .ok("dropped \(c.database)")
    }
}
