import Foundation
import RunbookCore
import RunbookEngine

/// Check `postgres.query`: passes when a query's trimmed, unaligned, tuples-only output
/// equals `expect` exactly (e.g. `SELECT count(*) FROM event_service.events` against `1000`).
struct QueryCheck: ExecutableAction {
    let spec = ActionSpec(
        "postgres.query",
        role: .check,
        summary: "Passes when the query's output (psql -A -t, trimmed) equals `expect`.",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("Database to query; default: the target's maintenance database.", required: false),
            InputSpec("sql", .sql, required: true, "The query. Rows print one per line, columns separated by |."),
            InputSpec("expect", .string, required: true, "The exact expected output, compared after trimming surrounding whitespace."),
        ],
        outputs: [OutputSpec("result", "What the query returned, trimmed.")]
    )

    func command(_ call: ResolvedCall, _ context: PlanContext) throws -> CommandLine {
        let endpoint = try PostgresEndpoint(call, in: context)
        return endpoint.psql(database: PostgresInputs.database(call, default: endpoint), sql: [try call.string("sql")])
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try command(call, context)),
         .builtin("compare the output with \(try Self.quoted(call.string("expect")))")]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let command = try command(call, context.plan)
        let expected = try call.string("expect").trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await PostgresExecution.run(command, in: context)
        guard result.succeeded else {
            return .failed(PostgresExecution.failure(command, result), exitStatus: result.status.code)
        }
        let actual = result.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
        let outputs: [String: Value] = ["result": .string(actual)]
        if actual == expected {
            return ActionResult(succeeded: true, outputs: outputs, message: "returned \(Self.quoted(actual))", exitStatus: 0)
        }
        return ActionResult(succeeded: false, outputs: outputs,
                            message: "expected \(Self.quoted(expected)), got \(Self.quoted(actual))", exitStatus: 0)
    }

    static func quoted(_ s: String) -> String {
        let shown = s.count > 200 ? String(s.prefix(200)) + "…" : s
        return "\"" + shown.replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
