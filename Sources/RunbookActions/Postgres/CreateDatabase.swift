import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.create-database`.
struct CreateDatabase: ExecutableAction {
    let spec = ActionSpec(
        "postgres.create-database",
        summary: "Create a database (fails if it exists, unless if_not_exists).",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("The database to create."),
            InputSpec("owner", .identifier, "Role that owns it; default: the connecting user."),
            InputSpec("template", .identifier, "Template database; template0 gives an empty database for restores."),
            InputSpec("if_not_exists", .bool, default: .bool(false), "Succeed without doing anything when it already exists."),
        ]
    )

    struct Recipe {
        var inspect: CommandLine
        var create: CommandLine
        var database: String
        var ifNotExists: Bool
    }

    func recipe(_ call: ResolvedCall, _ context: PlanContext) throws -> Recipe {
        let endpoint = try PostgresEndpoint(call, in: context)
        let database = try call.string("database")
        let admin = endpoint.target.maintenanceDatabase
        let sql = DatabaseStatements.create(database, owner: call.optionalString("owner"), template: call.optionalString("template"))
        return Recipe(inspect: endpoint.psql(database: admin, sql: [DatabaseStatements.inspect(database)]),
                      create: endpoint.psql(database: admin, sql: [sql]),
                      database: database, ifNotExists: try call.bool("if_not_exists"))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try recipe(call, context)
        if r.ifNotExists {
            return [.command(r.inspect), .builtin("create \(r.database) only if it does not exist"), .command(r.create)]
        }
        return [.command(r.create)]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try recipe(call, context.plan)
        if r.ifNotExists {
            let inspected = try await PostgresExecution.run(r.inspect, in: context, quiet: true)
            guard inspected.succeeded else {
                return .failed(PostgresExecution.failure(r.inspect, inspected), exitStatus: inspected.status.code)
            }
            if try DatabaseStatements.parseInspection(inspected.stdoutString).exists {
                return .ok("\(r.database) already exists")
            }
        }
        let result = try await PostgresExecution.run(r.create, in: context)
        guard result.succeeded else {
            return .failed(PostgresExecution.failure(r.create, result), exitStatus: result.status.code)
        }
        return .ok("created \(r.database)")
    }
}
