import Foundation

/// Names next to the data directory. Nothing here is ever deleted by runbook: the data
/// directory a recovery replaces is kept as `DATA.before-pitr-RUN`, and a recovery that is
/// rolled back is kept as `DATA.failed-pitr-RUN`, for the operator to inspect and remove.
enum DataDirectory {
    static func parent(of dir: String) -> String {
        let url = URL(fileURLWithPath: dir)
        return url.deletingLastPathComponent().path
    }

    /// Run ids may hold characters that do not belong in a file name.
    static func safe(_ runID: String) -> String {
        String(runID.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "-" })
    }

    static func setAside(_ dir: String, runID: String) -> String { dir + ".before-pitr-" + safe(runID) }
    static func failedAttempt(_ dir: String, runID: String) -> String { dir + ".failed-pitr-" + safe(runID) }
}
