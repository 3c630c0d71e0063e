import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.dump-globals`: roles and tablespaces (`pg_dumpall --globals-only`), which no
/// per-database dump contains; without them a restore on a new server lacks its owners.
struct DumpGlobals: ExecutableAction {
    let spec = ActionSpec(
        "postgres.dump-globals",
        summary: "Dump roles and tablespaces (pg_dumpall --globals-only) into the backup directory and record it in manifest.json.",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.backupDirectory(),
            InputSpec("name", .string, "File name; .sql is added. Default: globals-RUNID."),
            InputSpec("no_role_passwords", .bool, default: .bool(false),
                      "Leave out password hashes (lets a non-superuser dump roles)."),
            OffsiteDestination.repositoryInput,
            OffsiteDestination.keepLocalInput,
        ],
        outputs: DumpPipeline.outputs
    )

    func pipeline(_ call: ResolvedCall, _ context: PlanContext) throws -> DumpPipeline {
        let endpoint = try PostgresEndpoint(call, in: context)
        let directory = try call.string("dir")
        let name = DumpPipeline.fileName(call.optionalString("name") ?? "globals-\(DumpPipeline.safeComponent(context.runID))", format: .plain)
        try DumpPipeline.checkName(name)
        // pg_dumpall's -d takes a connection string; -l names the database to connect to.
        var options = ["-l", endpoint.target.maintenanceDatabase, "--globals-only"]
        if try call.bool("no_role_passwords") { options.append("--no-role-passwords") }
        let admin = endpoint.target.maintenanceDatabase
        var dump = endpoint.command("pg_dumpall", options, database: nil,
                                    stdoutFile: (directory as NSString).appendingPathComponent(name))
        dump.stdoutStaysPartial = true
        let version = endpoint.psql(database: admin, sql: ["SELECT json_build_object('server_version', current_setting('server_version'))"])
        var pipeline = DumpPipeline(database: "globals", kind: .globals, format: .plain, directory: directory, name: name,
                                    produce: [dump], cleanup: [], statistics: .query(version), readBack: nil,
                                    trailer: "PostgreSQL database cluster dump complete")
        pipeline.offsite = try OffsiteDestination.from(call, format: .plain)
        return pipeline
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        try pipeline(call, context).planned
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await pipeline(call, context.plan).run(in: context)
    }
}
