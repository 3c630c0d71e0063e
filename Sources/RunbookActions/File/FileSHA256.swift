import Crypto
import Foundation
import RunbookCore
import RunbookEngine

/// `file.sha256`: the file's SHA-256, read in 1 MiB blocks (constant memory).
public struct FileSHA256: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "file.sha256",
        summary: "Compute a file's SHA-256 checksum.",
        inputs: [
            InputSpec("path", .path, required: true, "The file."),
            InputSpec("expect", .string, "Fail unless the checksum equals this (hex)."),
        ],
        outputs: [
            OutputSpec("sha256", "Hex checksum."),
            OutputSpec("bytes", "File size in bytes."),
        ]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let expect = call.optionalString("expect").map { " and compare with \($0)" } ?? ""
        return [.builtin("compute sha256 of \(try call.string("path"))\(expect)")]
    }

    public static func digest(path: String) throws -> (hex: String, bytes: Int) {
        do {
            let (hex, bytes) = try FileHashing.sha256(of: path)
            return (hex, Int(bytes))
        } catch let error as LocalIOError {
            throw ActionInputError.invalid("path", "\(path) cannot be read: \(error)")
        }
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let path = try call.string("path")
        let (hex, bytes) = try Self.digest(path: path)
        let outputs: [String: Value] = ["sha256": .string(hex), "bytes": .int(bytes)]
        if let expected = call.optionalString("expect"), expected.lowercased() != hex {
            return ActionResult(succeeded: false, outputs: outputs, message: "sha256 of \(path) is \(hex), expected \(expected)")
        }
        return ActionResult(succeeded: true, outputs: outputs, message: "sha256 \(hex) (\(bytes) bytes)")
    }
}
