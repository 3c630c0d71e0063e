import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.dump`: one database to one artifact in the backup directory, recorded in its
/// manifest with size, sha256, server version, times and exact row counts per table.
/// See `DumpPipeline` for the artifact discipline (partial file, every exit status, fsync, rename).
struct Dump: ExecutableAction {
    let spec = ActionSpec(
        "postgres.dump",
        summary: "Dump one database (plain, gzip, custom or directory format) into the backup directory and record it in manifest.json, with exact row counts taken in the snapshot pg_dump dumps.",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("The database to dump."),
            PostgresInputs.backupDirectory(),
            InputSpec("format", .oneOf(DumpFormat.dumpable.map(\.rawValue)), default: .string("custom"),
                      "plain (SQL), gzip (SQL compressed by pg_dump -Z), custom (-Fc) or directory (-Fd, parallel)."),
            InputSpec("name", .string, "File name; the format's extension is added. Default: DATABASE-RUNID."),
            InputSpec("jobs", .int, default: .int(2), "Parallel jobs for the directory format."),
            InputSpec("compression", .int, "Compression level 0-9 (gzip, custom, directory); default: pg_dump's."),
            OffsiteDestination.repositoryInput,
            OffsiteDestination.keepLocalInput,
        ],
        outputs: DumpPipeline.outputs
    )

    func pipeline(_ call: ResolvedCall, _ context: PlanContext) throws -> DumpPipeline {
        let endpoint = try PostgresEndpoint(call, in: context)
        let database = try call.string("database")
        let directory = try call.string("dir")
        guard let format = DumpFormat(rawValue: try call.string("format")), DumpFormat.dumpable.contains(format) else {
            throw ActionInputError.invalid("format", "must be one of " + DumpFormat.dumpable.map(\.rawValue).joined(separator: ", "))
        }
        let jobs = try call.int("jobs")
        guard jobs >= 1 else { throw ActionInputError.invalid("jobs", "must be at least 1") }
        let compression = try call.has("compression") ? call.int("compression") : nil
        if let compression, !(0...9).contains(compression) {
            throw ActionInputError.invalid("compression", "must be 0 to 9")
        }
        if format == .gzip, compression == 0 {
            throw ActionInputError.invalid("compression", "0 would write uncompressed SQL; use format: plain")
        }
        let base = call.optionalString("name") ?? "\(database)-\(DumpPipeline.safeComponent(context.runID))"
        let name = DumpPipeline.fileName(base, format: format)
        try DumpPipeline.checkName(name)
        let finalPath = (directory as NSString).appendingPathComponent(name)
        let options = format.pgDumpArguments(jobs: jobs, compression: compression) + [SharedSnapshot.placeholder]

        var produce: [CommandLine] = []
        var cleanup: [CommandLine] = []
        if format == .directory {
            try endpoint.requireLocalFiles("format", "a directory archive")
            if let staging = ContainerStaging(endpoint, runID: context.runID, name: name) {
                produce.append(endpoint.command("pg_dump", options + ["-f", staging.containerPath], database: database))
                produce.append(staging.copyOut(to: finalPath + ".partial"))
                cleanup.append(staging.remove)
            } else {
                produce.append(endpoint.command("pg_dump", options + ["-f", finalPath + ".partial"], database: database))
            }
        } else {
            // stdout to the artifact: streamed to disk by the runner, hashed on the way, into
            // NAME.partial, which DumpPipeline renames after the read-back; the same for a local
            // pg_dump and one inside a compose service.
            var dump = endpoint.command("pg_dump", options, database: database, stdoutFile: finalPath)
            dump.stdoutStaysPartial = true
            produce.append(dump)
        }

        var readBack: CommandLine?
        switch format {
        case .gzip:
            // Decompressing the whole stream checks its CRC; the tail must hold pg_dump's trailer.
            readBack = CommandLine(argv: ["tail", "-c", "4096"], stdinFrom: ["gzip", "-dc", finalPath + ".partial"])
        case .custom, .directory, .plain, .tar:
            // Archives are checked by their magic (PGDMP, toc.dat), SQL by its trailer; the exit
            // status already says pg_dump finished. `pg_restore --list` would add a process for nothing.
            readBack = nil
        }
        var pipeline = DumpPipeline(database: database, kind: .database, format: format, directory: directory, name: name,
                                    produce: produce, cleanup: cleanup, statistics: .sharedSnapshot(endpoint, database: database), readBack: readBack,
                                    trailer: format == .plain || format == .gzip ? "PostgreSQL database dump complete" : nil)
        pipeline.offsite = try OffsiteDestination.from(call, format: format)
        return pipeline
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        try pipeline(call, context).planned
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        try await pipeline(call, context.plan).run(in: context)
    }
}
