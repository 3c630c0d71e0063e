import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.recreate-database`: drop (if it exists) and create empty, from template0 by
/// default so a restore finds no objects that template1 may carry.
struct RecreateDatabase: ExecutableAction {
    let spec = ActionSpec(
        "postgres.recreate-database",
        summary: "Drop a database if it exists and create it empty (template0 by default).",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("The database to recreate."),
            InputSpec("terminate_connections", .bool, default: .bool(false),
                      "Terminate other sessions instead of refusing to drop."),
            InputSpec("owner", .identifier, "Role that owns the new database; default: the connecting user."),
            InputSpec("template", .identifier, default: .string("template0"), "Template for the new database."),
        ],
        destructive: true
    )

    struct Recipe {
        var drop: DatabaseStatements.DropCommands
        var create: CommandLine
    }

    func recipe(_ call: ResolvedCall, _ context: PlanContext) throws -> Recipe {
        let endpoint = try PostgresEndpoint(call, in: context)
        let database = try call.string("database")
        let drop = try DatabaseStatements.dropCommands(endpoint, database: database,
                                                       terminate: try call.bool("terminate_connections"), ifExists: true)
        let sql = DatabaseStatements.create(database, owner: call.optionalString("owner"), template: call.optionalString("template"))
        return Recipe(drop: drop, create: endpoint.psql(database: endpoint.target.maintenanceDatabase, sql: [sql]))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try recipe(call, context)
        return [.command(r.drop.inspect), .builtin(DatabaseStatements.describe(r.drop)), .command(r.drop.drop), .command(r.create)]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try recipe(call, context.plan)
        if let failure = try await DatabaseStatements.runDrop(r.drop, in: context) { return failure }
        let created = try await PostgresExecution.run(r.create, in: context)
        guard created.succeeded else {
            return .failed(PostgresExecution.failure(r.create, created), exitStatus: created.status.code)
        }
        return .ok("recreated \(r.drop.database) empty")
    }
}
