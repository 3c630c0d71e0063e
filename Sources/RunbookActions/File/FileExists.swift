import Foundation
import RunbookCore
import RunbookEngine

/// `file.exists` check: the path exists (a file, or a directory with `type: directory`).
public struct FileExists: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "file.exists", role: .check,
        summary: "Passes when the path exists.",
        inputs: [
            InputSpec("path", .path, required: true, "File or directory to look for."),
            InputSpec("type", .oneOf(["any", "file", "directory"]), default: .string("any"), "What the path must be."),
        ]
    )

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let kind = call.optionalString("type") ?? "any"
        return [.builtin("check that \(try call.string("path")) exists\(kind == "any" ? "" : " and is a \(kind)")")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let path = try call.string("path")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failed("\(path) does not exist")
        }
        switch call.optionalString("type") ?? "any" {
        case "file" where isDirectory.boolValue: return .failed("\(path) is a directory, not a file")
        case "directory" where !isDirectory.boolValue: return .failed("\(path) is not a directory")
        default: return .ok("\(path) exists")
        }
    }
}
