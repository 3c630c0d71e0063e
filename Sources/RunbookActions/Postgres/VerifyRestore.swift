import Foundation
import RunbookCore
import RunbookEngine

/// Check `postgres.verify-restore`: a restored database holds what it should. Against an
/// artifact's manifest record: exact row counts per table. Against a live source database:
/// row counts, or `md5` of every table's rows in a total order (equal row for row).
struct VerifyRestore: ExecutableAction {
    let spec = ActionSpec(
        "postgres.verify-restore",
        role: .check,
        summary: "Compare a restored database's tables with the manifest's row counts, or with a source database (row counts or md5 of ordered contents).",
        inputs: [
            PostgresInputs.target,
            PostgresInputs.database("The restored database."),
            InputSpec("artifact", .path, "Compare with this artifact's row counts in the manifest beside it."),
            InputSpec("source_database", .identifier, "Or compare with this live database."),
            InputSpec("source_target", .target(.postgres), "The source database's server; default: target."),
            InputSpec("method", .oneOf(TableStatistics.Measure.allCases.map(\.rawValue)), default: .string("row_counts"),
                      "row_counts, or md5 (only against a source database: the manifest holds counts)."),
            InputSpec("exact", .bool, default: .bool(false),
                      "Also fail on tables the restored database has but the expected set lacks (left over from before a non-clean restore)."),
        ],
        outputs: [OutputSpec("tables", "How many tables were compared.")]
    )

    enum Expected {
        case manifest(ArtifactLocator.Located, DumpRecord)
        case database(CommandLine, String)
    }

    struct Recipe {
        var restored: CommandLine
        var measure: TableStatistics.Measure
        var expected: Expected
        var database: String
        var exact: Bool
    }

    func recipe(_ call: ResolvedCall, _ context: PlanContext) throws -> Recipe {
        let endpoint = try PostgresEndpoint(call, in: context)
        let database = try call.string("database")
        guard let measure = TableStatistics.Measure(rawValue: try call.string("method")) else {
            throw ActionInputError.invalid("method", "must be row_counts or md5")
        }
        let restored = endpoint.psql(database: database, sql: TableStatistics.statements(measure))
        switch (call.optionalString("artifact"), call.optionalString("source_database")) {
        case (let artifact?, nil):
            guard measure == .rowCounts else {
                throw ActionInputError.invalid("method", "the manifest records row counts; md5 needs source_database")
            }
            let located = try ArtifactLocator.at(path: artifact)
            guard let record = located.record else {
                throw ActionInputError.invalid("artifact", "\(located.store.path) has no record of \((artifact as NSString).lastPathComponent)")
            }
            guard record.rowCounts != nil else {
                throw ActionInputError.invalid("artifact", "\(record.path) has no row counts in the manifest (a globals dump?)")
            }
            return Recipe(restored: restored, measure: measure, expected: .manifest(located, record), database: database,
                          exact: try call.bool("exact"))
        case (nil, let source?):
            let sourceEndpoint = call.has("source_target") ? try PostgresEndpoint(call, input: "source_target", in: context) : endpoint
            let command = sourceEndpoint.psql(database: source, sql: TableStatistics.statements(measure))
            return Recipe(restored: restored, measure: measure, expected: .database(command, source), database: database,
                          exact: try call.bool("exact"))
        case (nil, nil):
            throw ActionInputError.invalid("artifact", "give `artifact` (compare with the manifest) or `source_database`")
        case (_?, _?):
            throw ActionInputError.invalid("source_database", "give either `artifact` or `source_database`, not both")
        }
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try recipe(call, context)
        switch r.expected {
        case .manifest(let located, let record):
            return [.command(r.restored),
                    .builtin("compare exact row counts of \(record.rowCounts?.count ?? 0) tables with \(located.store.path) (\(record.path))")]
        case .database(let command, let source):
            return [.command(r.restored), .command(command), .builtin("compare \(r.measure.rawValue) per table of \(r.database) with \(source)")]
        }
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r: Recipe
        do {
            r = try recipe(call, context.plan)
        } catch let e as ManifestStore.StoreError {
            return .failed(e.description)
        }
        let actual: TableStatistics.Snapshot
        switch try await snapshot(r.restored, context) {
        case .success(let s): actual = s
        case .failure(let failure): return failure.result
        }
        let differences: [String]
        let tables: Int
        switch r.expected {
        case .manifest(_, let record):
            let expected = record.rowCounts ?? [:]
            differences = TableStatistics.differences(expected: expected, actual: actual.rowCounts, what: "rows", exact: r.exact)
            tables = expected.count
        case .database(let command, _):
            let source: TableStatistics.Snapshot
            switch try await snapshot(command, context) {
            case .success(let s): source = s
            case .failure(let failure): return failure.result
            }
            if r.measure == .md5 {
                differences = TableStatistics.differences(expected: source.md5, actual: actual.md5, what: "md5", exact: r.exact)
                tables = source.md5.count
            } else {
                differences = TableStatistics.differences(expected: source.rowCounts, actual: actual.rowCounts, what: "rows", exact: r.exact)
                tables = source.rowCounts.count
            }
        }
        if differences.isEmpty {
            return ActionResult(succeeded: true, outputs: ["tables": .int(tables)],
                                message: "\(tables) tables match (\(r.measure.rawValue))", exitStatus: 0)
        }
        let shown = differences.prefix(10).joined(separator: "; ") + (differences.count > 10 ? "; … \(differences.count - 10) more" : "")
        return ActionResult(succeeded: false, outputs: ["tables": .int(tables)],
                            message: "\(differences.count) of \(tables) tables differ: \(shown)", exitStatus: 0)
    }

    struct Failed: Error { var result: ActionResult }

    private func snapshot(_ command: CommandLine, _ context: RunContext) async throws -> Result<TableStatistics.Snapshot, Failed> {
        let result = try await PostgresExecution.run(command, in: context, quiet: true)
        guard result.succeeded else {
            return .failure(Failed(result: .failed(PostgresExecution.failure(command, result), exitStatus: result.status.code)))
        }
        do {
            return .success(try TableStatistics.parse(result.stdoutString))
        } catch {
            return .failure(Failed(result: .failed("\(error)")))
        }
    }
}
