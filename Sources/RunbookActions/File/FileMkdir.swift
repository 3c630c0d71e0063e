import Foundation
import RunbookCore
import RunbookEngine

/// `file.mkdir`: creates a directory (and its parents). Succeeds when it already exists.
public struct FileMkdir: ExecutableAction {
    public init() {}

    public let spec = ActionSpec(
        "file.mkdir",
        summary: "Create a directory and any missing parents.",
        inputs: [
            InputSpec("path", .path, required: true, "Directory to create."),
            InputSpec("mode", .string, default: .string("0755"), "Permissions, octal (0700 for a PostgreSQL data directory)."),
        ],
        outputs: [OutputSpec("path", "The directory.")]
    )

    func mode(_ call: ResolvedCall) throws -> Int {
        let text = call.optionalString("mode") ?? "0755"
        guard let m = Int(text, radix: 8), (0...0o7777).contains(m) else {
            throw ActionInputError.invalid("mode", "\"\(text)\" is not an octal mode like 0755")
        }
        return m
    }

    public func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.builtin("create directory \(try call.string("path")) (mode \(String(try mode(call), radix: 8)))")]
    }

    public func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let path = try call.string("path")
        let m = try mode(call)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return .failed("\(path) exists and is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                return .failed("cannot create \(path): \(error.localizedDescription)")
            }
        }
        // The umask may have narrowed the mode; set exactly what was asked.
        guard chmod(path, mode_t(m)) == 0 else {
            return .failed("cannot set mode \(String(m, radix: 8)) on \(path): \(String(cString: strerror(errno)))")
        }
        return .ok("created \(path)", outputs: ["path": .string(path)])
    }
}
