import Foundation
import RunbookCore
import RunbookEngine

/// Check `postgres.verify-artifact`: an artifact is fit to restore. It exists, reads as a
/// dump format, and its sha256 equals its manifest record. Meant as a `require:` of the step
/// that drops the old database, so a corrupt backup is found before anything is destroyed.
struct VerifyArtifact: ExecutableAction {
    let spec = ActionSpec(
        "postgres.verify-artifact",
        role: .check,
        summary: "Passes when an artifact (a path, or latest) exists, sniffs as a dump format and matches its manifest sha256.",
        inputs: [
            InputSpec("from", .string, required: true, "The artifact's path, or `latest` (with backup_dir and database)."),
            InputSpec("backup_dir", .path, "With from: latest, the directory whose manifest.json to read."),
            PostgresInputs.database("With from: latest, whose backups to pick from.", required: false),
            InputSpec("require_manifest", .bool, default: .bool(true), "Fail when the manifest does not record the artifact."),
        ],
        outputs: [
            OutputSpec("path", "The artifact checked."),
            OutputSpec("format", "Its format, as sniffed."),
            OutputSpec("sha256", "Its sha256."),
            OutputSpec("summary", "For people: its path, when it was taken and how long ago, its size, whether it was verified."),
        ]
    )

    func locate(_ call: ResolvedCall) throws -> ArtifactLocator.Located {
        let from = try call.string("from")
        guard from != ArtifactLocator.latestKeyword || call.has("database") else {
            throw ActionInputError.invalid("database", "from: latest needs database, whose latest backup to check")
        }
        return try ArtifactLocator.locate(from: from, directory: call.optionalString("backup_dir"),
                                          database: call.optionalString("database") ?? "")
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let from = try call.string("from")
        let latest = from == ArtifactLocator.latestKeyword
        do {
            let located = try locate(call)
            let recorded = located.record.map { "its sha256 equals \($0.sha256.prefix(16))… in \(located.store.path)" }
                ?? "it is recorded in \(located.store.path)"
            var ops: [PlannedOperation] = []
            if latest { ops.append(.builtin(ArtifactLocator.latestNow(located))) }
            return ops + [.builtin("check \(located.path) exists, reads as a dump, and \(recorded)")]
        } catch {
            guard latest else { return [.builtin("check \(from) exists, reads as a dump, and matches its manifest sha256")] }
            let manifest = call.optionalString("backup_dir").map { ($0 as NSString).appendingPathComponent(DumpManifest.fileName) } ?? "the manifest"
            return [.builtin("check the backup latest stands for when the run gets here (the newest verified one \(manifest) names) exists, reads as a dump, and matches its manifest sha256")]
        }
    }

    func plannedOutputs(_ call: ResolvedCall, in context: PlanContext) -> [String: Value] {
        guard let located = try? locate(call), let record = located.record else { return [:] }
        var outputs: [String: Value] = ["path": .string(located.path), "sha256": .string(record.sha256),
                                        "summary": .string(ArtifactSummary.line(located))]
        if let format = try? DumpSniffer.sniff(path: located.path) { outputs["format"] = .string(format.rawValue) }
        return outputs
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        do {
            let located = try locate(call)
            let format = try DumpSniffer.sniff(path: located.path)
            let sha256 = try ArtifactLocator.checkIntegrity(located, requireManifest: try call.bool("require_manifest"))
            return ActionResult(succeeded: true,
                                outputs: ["path": .string(located.path), "format": .string(format.rawValue), "sha256": .string(sha256),
                                          "summary": .string(ArtifactSummary.line(located))],
                                message: "\(located.path): \(format.rawValue), sha256 \(sha256.prefix(12))… matches", exitStatus: 0)
        } catch let e as ArtifactLocator.LocateError {
            return .failed(e.description.replacingOccurrences(of: "refusing to restore ", with: ""))
        } catch let e as DumpSniffer.SniffError {
            return .failed(e.description)
        } catch let e as ManifestStore.StoreError {
            return .failed(e.description)
        }
    }
}
