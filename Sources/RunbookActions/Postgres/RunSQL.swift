import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.sql`: runs SQL with `psql -v ON_ERROR_STOP=1`, so the first error stops it
/// and fails the step (psql's default is to carry on and exit 0).
struct RunSQL: ExecutableAction {
    let spec = ActionSpec(
        "postgres.sql",
        summary: "Run SQL (text or a file) with ON_ERROR_STOP; its unaligned, tuples-only output becomes `result`.",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("Database to run in; default: the target's maintenance database.", required: false),
            InputSpec("sql", .sql, "SQL text. Several statements run in one transaction."),
            InputSpec("file", .path, "A .sql file on this host, instead of `sql`."),
            InputSpec("single_transaction", .bool, default: .bool(true), "With `file`: run it in one transaction (psql -1)."),
        ],
        outputs: [OutputSpec("result", "The output, trimmed (psql -A -t: values separated by |, one row per line).")]
    )

    func command(_ call: ResolvedCall, _ context: PlanContext) throws -> CommandLine {
        let endpoint = try PostgresEndpoint(call, in: context)
        let database = PostgresInputs.database(call, default: endpoint)
        switch (call.optionalString("sql"), call.optionalString("file")) {
        case (let sql?, nil):
            return endpoint.psql(database: database, sql: [sql])
        case (nil, let file?):
            var args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t"]
            if try call.bool("single_transaction") { args.append("-1") }
            switch endpoint.hostFile(file) {
            case .argument(let path): return endpoint.command("psql", args + ["-f", path], database: database)
            case .stdin(let path): return endpoint.command("psql", args + ["-f", "-"], database: database, stdinFile: path)
            }
        case (nil, nil):
            throw ActionInputError.invalid("sql", "give `sql` or `file`")
        case (_?, _?):
            throw ActionInputError.invalid("file", "give either `sql` or `file`, not both")
        }
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try command(call, context))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let command = try command(call, context.plan)
        let result = try await PostgresExecution.run(command, in: context)
        guard result.succeeded else {
            return .failed(PostgresExecution.failure(command, result), exitStatus: result.status.code)
        }
        let output = result.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
        return ActionResult(succeeded: true, outputs: ["result": .string(output)], exitStatus: 0, outputBytes: result.outputBytes)
    }
}
