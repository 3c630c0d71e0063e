import Foundation
import RunbookCore
import RunbookEngine

/// `postgres.record-verification`: writes the outcome of a restore test into the artifact's
/// manifest record (appending to `restore_tests`, and setting `verified`) and into the audit
/// trail, with the measured restore time: the RTO evidence the seed's monthly check never kept.
struct RecordVerification: ExecutableAction {
    let spec = ActionSpec(
        "postgres.record-verification",
        summary: "Record a restore test (passed or not, restore time) in the artifact's manifest record and the audit trail.",
        inputs: [
            InputSpec("artifact", .path, required: true, "The artifact that was restored."),
        ] + RecordVerification.testInputs,
        outputs: [OutputSpec("restore_tests", "How many restore tests the artifact has on record.")]
    )

    struct Recipe {
        var path: String
        var name: String
        var store: ManifestStore
        var test: RestoreTest
    }

    func recipe(_ call: ResolvedCall, _ context: PlanContext) throws -> Recipe {
        let located = try ArtifactLocator.at(path: try call.string("artifact"))
        return Recipe(path: located.path, name: (located.path as NSString).lastPathComponent, store: located.store,
                      test: try Self.restoreTest(call, context))
    }

    /// The test the inputs `passed`, `restore_seconds` and `detail` describe, made now by this run.
    static func restoreTest(_ call: ResolvedCall, _ context: PlanContext) throws -> RestoreTest {
        var seconds: Double?
        if let text = call.optionalString("restore_seconds"), !text.isEmpty {
            guard let s = Double(text), s >= 0 else { throw ActionInputError.invalid("restore_seconds", "\"\(text)\" is not a number of seconds") }
            seconds = s
        }
        return RestoreTest(at: Date(), restoreSeconds: seconds, passed: try call.bool("passed"),
                           detail: call.optionalString("detail"), runID: context.runID)
    }

    /// The inputs describing a test, shared with `repository.record-verification`.
    static let testInputs = [
        InputSpec("passed", .bool, default: .bool(true), "Whether the restored data matched."),
        InputSpec("restore_seconds", .string, "Measured restore time, e.g. ${steps.restore.outputs.seconds}."),
        InputSpec("detail", .string, "A note kept with the record."),
    ]

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let r = try recipe(call, context)
        let verdict = r.test.passed ? "passed (verified: true)" : "failed (verified: false)"
        return [.builtin("record in \(r.store.path) that restoring \(r.name) \(verdict)\(r.test.restoreSeconds.map { " in \(PostgresExecution.seconds($0))s" } ?? "")")]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let r = try recipe(call, context.plan)
        let count: Int
        do {
            count = try r.store.update { manifest -> Int in
                guard let index = manifest.artifacts.lastIndex(where: { $0.path == r.name }) else {
                    throw ManifestStore.StoreError(description: "\(r.store.path) has no record of \(r.name)")
                }
                manifest.artifacts[index].restoreTests.append(r.test)
                manifest.artifacts[index].verified = r.test.passed
                return manifest.artifacts[index].restoreTests.count
            }
        } catch {
            return .failed("\(error)")
        }
        var fields: [String: Value] = ["artifact": .string(r.path), "passed": .bool(r.test.passed)]
        if let s = r.test.restoreSeconds { fields["restore_seconds"] = .string(PostgresExecution.seconds(s)) }
        if let d = r.test.detail { fields["detail"] = .string(d) }
        context.audit("postgres.restore-test", fields)
        return ActionResult(succeeded: true, outputs: ["restore_tests": .int(count)],
                            message: "recorded restore test of \(r.name): \(r.test.passed ? "passed" : "failed")\(r.test.restoreSeconds.map { ", restore took \(PostgresExecution.seconds($0))s" } ?? "")",
                            exitStatus: 0)
    }
}
