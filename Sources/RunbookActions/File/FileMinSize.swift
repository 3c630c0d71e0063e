import Foundation
import RunbookCore
import RunbookEngine

/// `file.min-size` check: the file has at least `bytes` bytes. Catches the seed's
/// 20-byte "successful" gzip of a failed dump.
public struct FileMinSize: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "file.min-size", role: .check,
        summary: "Passes when the file is at least the given size.",
        inputs: [
            InputSpec("path", .path, required: true, "The file."),
            InputSpec("bytes", .int, required: true, "Minimum size in bytes."),
        ]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.builtin("check that \(try call.string("path")) has at least \(try call.int("bytes")) bytes")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let path = try call.string("path")
        let minimum = try call.int("bytes")
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular,
              let size = (attributes[.size] as? NSNumber)?.intValue else {
            return .failed("\(path) is not a readable regular file")
        }
        guard size >= minimum else { return .failed("\(path) is \(size) bytes; at least \(minimum) expected") }
        return ActionResult(succeeded: true, message: "\(path) is \(size) bytes")
    }
}
