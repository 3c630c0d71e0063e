import Foundation
import RunbookCore
import RunbookEngine

/// The SQL and the run-time logic behind create, drop and recreate, shared so that
/// `postgres.recreate-database` is exactly drop followed by create.
enum DatabaseStatements {
    static func create(_ database: String, owner: String?, template: String?) -> String {
        var sql = "CREATE DATABASE " + PostgresQuoting.identifier(database)
        if let owner { sql += " OWNER " + PostgresQuoting.identifier(owner) }
        if let template { sql += " TEMPLATE " + PostgresQuoting.identifier(template) }
        return sql
    }

    /// `WITH (FORCE)` (PostgreSQL 13+) terminates sessions and drops in one statement, so no
    /// client can reconnect in between.
    static func drop(_ database: String, force: Bool) -> String {
        "DROP DATABASE IF EXISTS " + PostgresQuoting.identifier(database) + (force ? " WITH (FORCE)" : "")
    }

    /// Whether the database exists, and who else is connected to it, as one JSON value.
    static func inspect(_ database: String) -> String {
        let name = PostgresQuoting.literal(database)
        return "SELECT json_build_object('exists', EXISTS (SELECT 1 FROM pg_database WHERE datname = \(name)), "
            + "'sessions', (SELECT coalesce(json_agg(json_build_object('pid', pid, 'user', usename, 'application', application_name, "
            + "'client', coalesce(client_addr::text, 'local'), 'state', state) ORDER BY pid), '[]') "
            + "FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()))"
    }

    struct Inspection: Sendable {
        var exists: Bool
        /// One line per other session: `pid 4711 (aqstream, event-service, 127.0.0.1, idle)`.
        var sessions: [String]
    }

    static func parseInspection(_ output: String) throws -> Inspection {
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let exists = object["exists"] as? Bool else {
            throw TableStatistics.ParseError(description: "unexpected output from the database inspection query: \(text.prefix(200))")
        }
        let sessions = (object["sessions"] as? [[String: Any]] ?? []).map { s -> String in
            let fields = ["user", "application", "client", "state"].compactMap { key -> String? in
                guard let v = s[key], !(v is NSNull), "\(v)" != "" else { return nil }
                return "\(v)"
            }
            return "pid \(s["pid"].map { "\($0)" } ?? "?") (\(fields.joined(separator: ", ")))"
        }
        return Inspection(exists: exists, sessions: sessions)
    }

    /// The commands of a drop: inspect, then drop. Run decides between them.
    struct DropCommands {
        var inspect: CommandLine
        var drop: CommandLine
        var database: String
        var terminate: Bool
        var ifExists: Bool
    }

    static func dropCommands(_ endpoint: PostgresEndpoint, database: String, terminate: Bool, ifExists: Bool) throws -> DropCommands {
        guard database != endpoint.target.maintenanceDatabase else {
            throw ActionInputError.invalid("database", "\"\(database)\" is the target's maintenance database, which these commands connect to; it cannot be dropped from here")
        }
        let admin = endpoint.target.maintenanceDatabase
        return DropCommands(inspect: endpoint.psql(database: admin, sql: [inspect(database)]),
                            drop: endpoint.psql(database: admin, sql: [drop(database, force: terminate)]),
                            database: database, terminate: terminate, ifExists: ifExists)
    }

    static func describe(_ c: DropCommands) -> String {
        var s = "drop \(c.database) only if "
        s += c.terminate ? "it exists (other sessions are terminated)" : "it exists and no other session is connected"
        if !c.ifExists { s += "; a missing database fails the step" }
        return s
    }

    /// Runs a drop: refuses while other sessions are connected unless told to terminate them.
    /// Returns nil on success, else the failure.
    static func runDrop(_ c: DropCommands, in context: RunContext) async throws -> ActionResult? {
        let inspected = try await PostgresExecution.run(c.inspect, in: context, quiet: true)
        guard inspected.succeeded else {
            return .failed(PostgresExecution.failure(c.inspect, inspected), exitStatus: inspected.status.code)
        }
        let state = try parseInspection(inspected.stdoutString)
        if !state.exists {
            return c.ifExists ? nil : .failed("database \(c.database) does not exist (set if_exists: true to accept that)")
        }
        if !state.sessions.isEmpty && !c.terminate {
            let shown = state.sessions.prefix(5).joined(separator: "; ") + (state.sessions.count > 5 ? "; …" : "")
            return .failed("refusing to drop \(c.database): \(state.sessions.count) active connection\(state.sessions.count == 1 ? "" : "s") (\(shown)); stop the clients or set terminate_connections: true")
        }
        if !state.sessions.isEmpty {
            context.audit("postgres.terminate-connections", ["database": .string(c.database),
                                                              "sessions": .list(state.sessions.map { .string($0) })])
        }
        let dropped = try await PostgresExecution.run(c.drop, in: context)
        guard dropped.succeeded else {
            return .failed(PostgresExecution.failure(c.drop, dropped), exitStatus: dropped.status.code)
        }
        return nil
    }
}
