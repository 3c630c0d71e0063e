import Foundation
import RunbookCore
import RunbookEngine

/// `repository.record-verification`: a restore test of the repository's copy, recorded where
/// the next restoring host looks: in the `record` metadata of the object's manifest entry
/// (its `restore_tests` and `verified`, as `postgres.record-verification` does in a local
/// manifest), and in the audit trail. Only plaintext metadata changes: no identity needed.
struct RecordOffsiteVerification: ExecutableAction {
    let spec = ActionSpec(
        "repository.record-verification",
        summary: "Record a restore test of repository objects (passed or not, restore time) in the dump records of their manifest entries and in the audit trail.",
        inputs: [
            RepositoryRestoreInputs.target,
            InputSpec("names", .list(.string), required: true, "The objects restored (`dumps/NAME`), e.g. ${steps.fetch.outputs.names}."),
        ] + RecordVerification.testInputs,
        outputs: [OutputSpec("restore_tests", "How many restore tests the (last) object has on record.")]
    )

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let test = try RecordVerification.restoreTest(call, context)
        let verdict = test.passed ? "passed (verified: true)" : "failed (verified: false)"
        let names = try call.strings("names").joined(separator: ", ")
        return [.builtin("record in the repository \(try RepositoryRestoreInputs.location(call)), in the dump record of \(names), that restoring it \(verdict)\(test.restoreSeconds.map { " in \(PostgresExecution.seconds($0))s" } ?? "") (rewrites that namespace's manifest; the object is not touched)")]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let test = try RecordVerification.restoreTest(call, context.plan)
        let names = try call.strings("names")
        return try await S3ActionSupport.attempt {
            try await RepositoryRestoreInputs.withStore(call, context) { store in
                var count = 0
                for name in names {
                    var failure: Error?
                    try await store.updateMetadata(name: name) { metadata in
                        do {
                            var record = try DumpManifest.decoder().decode(DumpRecord.self, from: Data((metadata[DumpCatalog.recordKey] ?? "").utf8))
                            record.restoreTests.append(test)
                            record.verified = test.passed
                            count = record.restoreTests.count
                            metadata[DumpCatalog.recordKey] = String(decoding: try DumpManifest.encoder().encode(record), as: UTF8.self)
                        } catch {
                            failure = error
                        }
                    }
                    if let failure { return .failed("\(name) has no readable dump record in the repository (\(failure)); nothing recorded") }
                    var fields: [String: Value] = ["name": .string(name), "repository": .string(try RepositoryRestoreInputs.location(call)),
                                                   "passed": .bool(test.passed)]
                    if let s = test.restoreSeconds { fields["restore_seconds"] = .string(PostgresExecution.seconds(s)) }
                    if let d = test.detail { fields["detail"] = .string(d) }
                    context.audit("repository.restore-test", fields)
                }
                return .ok("recorded restore test of \(names.joined(separator: ", ")) in the repository: \(test.passed ? "passed" : "failed")\(test.restoreSeconds.map { ", restore took \(PostgresExecution.seconds($0))s" } ?? "")",
                           outputs: ["restore_tests": .int(count)])
            }
        }
    }
}
