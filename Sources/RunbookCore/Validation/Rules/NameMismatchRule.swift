import Foundation

/// `runbook: NAME` must equal the file name, so `runbook plan NAME` finds the file
/// and `runbook.run` calls resolve to what people read.
public struct NameMismatchRule: Rule {
    public let name = RuleID.nameMismatch
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        guard !runbook.name.isEmpty else { return [] }
        let fileName = Self.baseName(runbook.path)
        guard fileName != runbook.name else { return [] }
        return [.error(name, "runbook is named \(Notes.quote(runbook.name)) but its file is \(Notes.quote(fileName + ".yaml")); the name must equal the file name",
                       at: runbook.nameLocation, length: runbook.name.count,
                       notes: ["rename the file or set runbook: \(fileName)"])]
    }

    /// The file name without directory and `.yaml`/`.yml`.
    public static func baseName(_ path: String) -> String {
        let last = (path as NSString).lastPathComponent
        for ext in [".yaml", ".yml"] where last.hasSuffix(ext) { return String(last.dropLast(ext.count)) }
        return last
    }
}
