import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.latest-backup`: the newest verified backup of a database according to the
/// manifest's finish times (never file mtimes or names), as step outputs.
struct LatestBackup: ExecutableAction {
    let spec = ActionSpec(
        "postgres.latest-backup",
        summary: "Pick the newest verified backup of a database from manifest.json (by its recorded time, never by mtime).",
        inputs: [
            PostgresInputs.backupDirectory(),
            PostgresInputs.database("Whose backups to look at."),
        ],
        outputs: [
            OutputSpec("path", "The artifact's path."),
            OutputSpec("sha256", "Its recorded sha256."),
            OutputSpec("format", "Its recorded format."),
            OutputSpec("finished_at", "When its dump finished (UTC)."),
            OutputSpec("size", "Its recorded size in bytes."),
        ]
    )

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let directory = try call.string("dir")
        let database = try call.string("database")
        let manifest = (directory as NSString).appendingPathComponent(DumpManifest.fileName)
        if let located = try? ArtifactLocator.latest(directory: directory, database: database), let r = located.record {
            return [.builtin("read \(manifest): the newest verified backup of \(database) is now \(r.path), finished \(ManifestTime.format(r.finishedAt))")]
        }
        return [.builtin("read \(manifest) and pick the newest verified backup of \(database) (none qualifies yet)")]
    }

    func plannedOutputs(_ call: ResolvedCall, in context: PlanContext) -> [String: Value] {
        guard let directory = try? call.string("dir"), let database = try? call.string("database"),
              let located = try? ArtifactLocator.latest(directory: directory, database: database) else { return [:] }
        return outputs(located)
    }

    private func outputs(_ located: ArtifactLocator.Located) -> [String: Value] {
        guard let r = located.record else { return [:] }
        return ["path": .string(located.path), "sha256": .string(r.sha256), "format": .string(r.format.rawValue),
                "finished_at": .string(ManifestTime.format(r.finishedAt)), "size": .int(Int(r.size))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let located: ArtifactLocator.Located
        do {
            located = try ArtifactLocator.latest(directory: try call.string("dir"), database: try call.string("database"))
        } catch let e as ArtifactLocator.LocateError {
            return .failed(e.description)
        } catch let e as ManifestStore.StoreError {
            return .failed(e.description)
        }
        guard let r = located.record else { return .failed("\(located.path) has no manifest record") }
        return ActionResult(succeeded: true, outputs: outputs(located),
                            message: "\(located.path), finished \(ManifestTime.format(r.finishedAt))", exitStatus: 0)
    }
}
