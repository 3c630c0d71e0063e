import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.restore-globals`: the roles of a `pg_dumpall --globals-only` dump, created on a
/// server that lacks them (a new cluster after the old one was lost), before any database is
/// restored: without them every `ALTER ... OWNER TO` and `GRANT` of a restore fails.
///
/// Roles the server has are left exactly as they are (the connecting superuser is in every
/// globals dump). The dump is not run as it is; its statements are classified
/// (`GlobalsScript`) and those about the missing roles run in one transaction, read by psql
/// from a private file: the password hashes in them never reach argv or the log, and psql
/// reports errors tersely, without echoing the statement.
struct RestoreGlobals: ExecutableAction {
    let spec = ActionSpec(
        "postgres.restore-globals",
        summary: "Create the roles a globals dump has and the server lacks (attributes, passwords, settings, comments, memberships), in one transaction; roles that exist are not touched.",
        inputs: [
            PostgresInputs.target,
            InputSpec("from", .string, default: .string(ArtifactLocator.latestKeyword),
                      "The globals dump's path, or `latest` for the newest one recorded in backup_dir's manifest."),
            InputSpec("backup_dir", .path, "With from: latest, the directory whose manifest.json to read."),
            InputSpec("require_manifest", .bool, default: .bool(true), "Fail when the manifest does not record the dump (its sha256 is always checked when it does)."),
        ],
        outputs: [
            OutputSpec("created", "Roles created, in the dump's order."),
            OutputSpec("existing", "Roles of the dump the server already had; left as they were."),
            OutputSpec("skipped_memberships", "Memberships `role TO member` left out because the member already existed."),
            OutputSpec("tablespaces", "Tablespaces in the dump; never created (their directories belong to the lost server)."),
            OutputSpec("path", "The globals dump read."),
            OutputSpec("sha256", "Its sha256, as checked."),
        ]
    )

    /// The role of the globals records in manifest.json (`postgres.dump-globals`).
    static let manifestDatabase = "globals"

    func locate(_ call: ResolvedCall) throws -> ArtifactLocator.Located {
        let from = try call.string("from")
        guard from == ArtifactLocator.latestKeyword else { return try ArtifactLocator.at(path: from) }
        guard let directory = call.optionalString("backup_dir") else {
            throw ActionInputError.invalid("backup_dir", "from: latest needs backup_dir, the directory whose manifest.json to read")
        }
        return try ArtifactLocator.latest(directory: directory, database: Self.manifestDatabase, kind: .globals)
    }

    func listRoles(_ endpoint: PostgresEndpoint) -> CommandLine {
        endpoint.psql(database: endpoint.target.maintenanceDatabase,
                      sql: ["SELECT coalesce(json_agg(rolname ORDER BY rolname), '[]') FROM pg_roles"])
    }

    /// psql reading the statements from stdin, all or nothing, errors without the statement's text.
    func apply(_ endpoint: PostgresEndpoint, script: String) -> CommandLine {
        endpoint.command("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=terse", "-1", "-f", "-"],
                         database: endpoint.target.maintenanceDatabase, stdinFile: script)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let endpoint = try PostgresEndpoint(call, in: context)
        let source: String
        if let located = try? locate(call) {
            let check = located.record.map { "its sha256 must equal \($0.sha256.prefix(16))… in \(located.store.path)" } ?? "it must be recorded in \(located.store.path)"
            source = "\(located.path) (now the newest globals dump; \(check))"
        } else {
            source = try call.string("from") == ArtifactLocator.latestKeyword
                ? "the newest globals dump in \(call.optionalString("backup_dir") ?? "backup_dir")/manifest.json when the run gets here (none yet), its sha256 checked"
                : "\(try call.string("from")), its sha256 checked against the manifest beside it"
        }
        return [
            .builtin("read \(source)"),
            .command(listRoles(endpoint)),
            .builtin("create only the roles the server lacks, with their attributes, passwords, settings, comments and memberships; roles it has are not altered; tablespaces are not created"),
            .command(apply(endpoint, script: "<private file with those statements>")),
        ]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let endpoint = try PostgresEndpoint(call, in: context.plan)
        let located: ArtifactLocator.Located
        let sha256: String
        let script: GlobalsScript
        do {
            located = try locate(call)
            sha256 = try ArtifactLocator.checkIntegrity(located, requireManifest: try call.bool("require_manifest"))
            script = try GlobalsScript.parse(try String(contentsOfFile: located.path, encoding: .utf8))
        } catch let e as ArtifactLocator.LocateError {
            return .failed(e.description.replacingOccurrences(of: "refusing to restore ", with: "refusing to restore roles from "))
        } catch let e as ManifestStore.StoreError {
            return .failed(e.description)
        } catch let e as GlobalsScript.ParseError {
            return .failed("\(describedSource(call)): \(e.description)")
        }

        let query = listRoles(endpoint)
        let listed = try await PostgresExecution.run(query, in: context, quiet: true)
        guard listed.succeeded else { return .failed(PostgresExecution.failure(query, listed), exitStatus: listed.status.code) }
        guard let names = try? JSONDecoder().decode([String].self, from: Data(listed.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines).utf8)) else {
            return .failed("cannot read the server's roles from: \(listed.stdoutString.prefix(200))")
        }
        let restoring = script.restoring(existing: Set(names))
        var outputs: [String: Value] = [
            "created": .list(restoring.created.map(Value.string)),
            "existing": .list(restoring.kept.map(Value.string)),
            "skipped_memberships": .list(restoring.skippedMemberships.map(Value.string)),
            "tablespaces": .list(script.tablespaces.map(Value.string)),
            "path": .string(located.path),
            "sha256": .string(sha256),
        ]
        let kept = restoring.kept.isEmpty ? "" : "; already there, left as they are: \(restoring.kept.joined(separator: ", "))"
        let tablespaces = script.tablespaces.isEmpty ? "" : "; tablespaces not created: \(script.tablespaces.joined(separator: ", "))"
        guard !restoring.created.isEmpty else {
            return report(.ok("no role to create: the server has every role of \(located.path)\(kept)\(tablespaces)", outputs: outputs), in: context)
        }

        let file: String
        do {
            file = try PrivateScratchFile.write(restoring.sql, prefix: "runbook-globals")
        } catch {
            return .failed("cannot write the role statements to a private file: \(error)")
        }
        defer { unlink(file) }
        let command = apply(endpoint, script: file)
        let result = try await PostgresExecution.run(command, in: context)
        guard result.succeeded else {
            outputs["created"] = .list([])
            return report(ActionResult(succeeded: false, outputs: outputs,
                                       message: PostgresExecution.failure(command, result) + " (one transaction: no role was created)",
                                       exitStatus: result.status.code), in: context)
        }
        let skipped = restoring.skippedMemberships.isEmpty ? "" : "; memberships of existing roles not granted: \(restoring.skippedMemberships.joined(separator: ", "))"
        return report(.ok("created roles \(restoring.created.joined(separator: ", "))\(kept)\(skipped)\(tablespaces)", outputs: outputs), in: context)
    }

    /// Which roles were created goes to the audit trail as an event of its own (with the lists,
    /// not only a sentence) and to the run's output.
    private func report(_ result: ActionResult, in context: RunContext) -> ActionResult {
        var fields = result.outputs
        fields["succeeded"] = .bool(result.succeeded)
        context.audit(spec.name, fields)
        if result.succeeded, let message = result.message { context.log(message) }
        return result
    }

    private func describedSource(_ call: ResolvedCall) -> String {
        (try? call.string("from")) ?? "the globals dump"
    }
}
