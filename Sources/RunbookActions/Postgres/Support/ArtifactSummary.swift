import Foundation

/// One line that tells the person confirming a restore which backup it is: the file, when it
/// was taken and how long ago, its size, and whether it was verified. Shown in confirmations,
/// their audit lines and plans, wherever `latest` or a path is about to be restored.
enum ArtifactSummary {
    static func line(_ located: ArtifactLocator.Located, now: Date = Date()) -> String {
        guard let record = located.record else {
            let size = (try? DurableFiles.size(located.path)).map { ", \(S3Mirror.bytes($0))" } ?? ""
            return "\(located.path)\(size); \(located.store.path) does not list it: when it was taken and whether it was verified are unknown"
        }
        return "\(located.path), taken \(ManifestTime.format(record.finishedAt)) (\(age(of: record.finishedAt, now: now))), "
            + "\(S3Mirror.bytes(record.size)), \(verification(record))"
    }

    static func verification(_ record: DumpRecord) -> String {
        let tests = record.restoreTests
        guard let last = tests.last else {
            return record.verified ? "verified (read back when written; never restore-tested)" : "NOT verified"
        }
        let when = ManifestTime.format(last.at)
        if !record.verified { return "NOT verified: its last restore test (\(when)) failed" }
        return "verified (restore-tested \(tests.count)×, last \(when): passed)"
    }

    /// "42 s ago", "5 h 12 min ago", "3 d 4 h ago".
    static func age(of date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date).rounded())
        guard seconds >= 0 else { return "in the future: check this host's clock" }
        let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60)
        if d > 0 { return "\(d) d \(h) h ago" }
        if h > 0 { return "\(h) h \(m) min ago" }
        if m > 0 { return "\(m) min \(seconds % 60) s ago" }
        return "\(seconds) s ago"
    }
}
