import Foundation
import RunbookCore
import RunbookEngine

/// `file.remove` (destructive): deletes a file, or a directory tree with `recursive: true`.
/// Refuses `/`, and a directory without `recursive`.
public struct FileRemove: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "file.remove",
        summary: "Delete a file, or a directory tree with recursive: true.",
        inputs: [
            InputSpec("path", .path, required: true, "What to delete."),
            InputSpec("recursive", .bool, default: .bool(false), "Allow deleting a directory and everything in it."),
            InputSpec("missing_ok", .bool, default: .bool(false), "Succeed when the path does not exist."),
        ],
        destructive: true
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let path = try call.string("path")
        let recursive = (try? call.bool("recursive")) ?? false
        return [.builtin("delete \(path)\(recursive ? " and everything under it" : "")")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let path = try call.string("path")
        let recursive = (try? call.bool("recursive")) ?? false
        let missingOK = (try? call.bool("missing_ok")) ?? false
        let standardized = (path as NSString).standardizingPath
        guard !standardized.isEmpty, standardized != "/" else { return .failed("refusing to delete \"\(path)\"") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return missingOK ? .ok("\(path) did not exist") : .failed("\(path) does not exist")
        }
        if isDirectory.boolValue && !recursive {
            return .failed("\(path) is a directory; set recursive: true to delete it and its contents")
        }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            return .failed("cannot delete \(path): \(error.localizedDescription)")
        }
        context.audit("file.removed", ["path": .string(path), "recursive": .bool(recursive)])
        return .ok("deleted \(path)")
    }
}
