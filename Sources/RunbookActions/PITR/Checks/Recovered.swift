import Foundation
import RunbookCore
import RunbookEngine

/// Check `pitr.recovered`: the server has left recovery (it was promoted), no transaction
/// committed after a time target was replayed, and, optionally, a query answers as expected
/// (e.g. the row count of a table known at the target).
struct Recovered: PITRAction {
    let spec = ActionSpec("pitr.recovered", role: .check, summary: "The server is out of recovery, replayed nothing past a time target, and an optional query gives the expected answer.", inputs: [
        PITRServer.targetInput,
        InputSpec("database", .identifier, "Database for `sql`; default the target's maintenance database."),
        InputSpec("sql", .sql, "A query whose single value is compared with `expect`."),
        InputSpec("expect", .string, "The expected value of `sql` (compared as text, trimmed)."),
    ] + RecoveryTarget.inputs)

    func commands(_ call: ResolvedCall, _ server: PITRServer) -> (state: CommandLine, query: CommandLine?) {
        let state = server.psql(["SELECT pg_is_in_recovery()::text || '|' || coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::text, '')"])
        let query = call.optionalString("sql").flatMap { $0.isEmpty ? nil : server.psql([$0], database: call.optionalString("database")) }
        return (state, query)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let c = commands(call, try PITRServer(call, context))
        if call.has("sql") != call.has("expect") { throw ActionInputError.invalid("expect", "give both sql and expect, or neither") }
        return [.command(c.state)] + (c.query.map { [.command($0)] } ?? [])
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let server = try PITRServer(call, run.context.plan)
        let c = commands(call, server)
        let fields = (try await run.rows(c.state, "asking the server whether it is in recovery").first ?? "").split(separator: "|", omittingEmptySubsequences: false)
        guard fields.first == "false" else { return .failed("the server is still in recovery") }
        var notes: [String] = ["promoted"]
        if RecoveryTarget.given(call), case .time(let t) = try RecoveryTarget.from(call), fields.count == 2, let replayed = Instant.parseEpoch(String(fields[1])) {
            guard replayed <= t else { return .failed("a transaction from \(replayed.iso8601) was replayed, after the target \(t.iso8601)") }
            notes.append("last replayed transaction \(replayed.iso8601) <= target")
        }
        if let query = c.query {
            let expect = (call.optionalString("expect") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let result = try await run.attempt(query, timeout: run.context.timeout ?? 300)
            guard result.succeeded else { return .failed(PITRRun.describe("the verification query", query, result)) }
            let got = result.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
            guard got == expect else { return .failed("the verification query returned \"\(got.prefix(200))\", expected \"\(expect)\"") }
            notes.append("query returned \"\(expect)\"")
        }
        return .ok(notes.joined(separator: "; "))
    }
}
