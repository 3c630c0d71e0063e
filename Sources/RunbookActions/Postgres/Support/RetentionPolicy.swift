import Foundation
import RunbookCore

/// Which backups to keep: every backup younger than `keepDays`, and, whatever their age,
/// the `keepMinimum` newest verified backups of each database whose artifact still exists.
/// The newest artifact of a database is never deleted either, verified or not.
///
/// This is the floor the seed's `find $BACKUP_DIR -mtime +30 -delete` lacked: if backups
/// stop for a month, that line deletes every one of them; this policy keeps the last good ones.
/// Ages come from the manifest's `finished_at`, never from file mtimes.
struct RetentionPolicy: Sendable, Equatable {
    var keepDays: Int
    var keepMinimum: Int

    struct Decision: Sendable, Equatable {
        var record: DumpRecord
        var keep: Bool
        /// Why, in words for the plan and the audit trail.
        var reason: String
    }

    /// Validates the policy itself: a floor of 0 would allow deleting every backup.
    init(keepDays: Int, keepMinimum: Int) throws {
        guard keepDays >= 0 else { throw ActionInputError.invalid("keep_days", "must be 0 or more") }
        guard keepMinimum >= 1 else {
            throw ActionInputError.invalid("keep_min", "must be at least 1: retention never deletes the newest good backup")
        }
        self.keepDays = keepDays
        self.keepMinimum = keepMinimum
    }

    /// Decisions for every record, grouped per database (and kind), newest first within a group.
    func decide(_ records: [DumpRecord], now: Date, artifactExists: (DumpRecord) -> Bool) -> [Decision] {
        var groups: [String: [DumpRecord]] = [:]
        var order: [String] = []
        for r in records {
            let key = "\(r.kind.rawValue)/\(r.database)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        var decisions: [Decision] = []
        for key in order.sorted() {
            let newestFirst = (groups[key] ?? []).sorted { ($0.finishedAt, $0.path) > ($1.finishedAt, $1.path) }
            let exists = newestFirst.map(artifactExists)
            var floor = Set<Int>()
            for (i, r) in newestFirst.enumerated() where r.verified && exists[i] && floor.count < keepMinimum {
                floor.insert(i)
            }
            for (i, r) in newestFirst.enumerated() {
                decisions.append(decide(r, index: i, inFloor: floor.contains(i), exists: exists[i], now: now))
            }
        }
        return decisions
    }

    private func decide(_ r: DumpRecord, index: Int, inFloor: Bool, exists: Bool, now: Date) -> Decision {
        let ageDays = now.timeIntervalSince(r.finishedAt) / 86_400
        let age = Self.describeAge(ageDays)
        let name = r.kind == .globals ? "globals" : r.database
        if inFloor {
            return Decision(record: r, keep: true, reason: "\(age) old; one of the \(keepMinimum) newest verified backups of \(name) (kept whatever its age)")
        }
        if index == 0 && exists {
            return Decision(record: r, keep: true, reason: "\(age) old; the newest backup of \(name) is never deleted")
        }
        if ageDays <= Double(keepDays) {
            return Decision(record: r, keep: true, reason: "\(age) old; within keep_days=\(keepDays)")
        }
        if !exists {
            return Decision(record: r, keep: false, reason: "\(age) old, older than keep_days=\(keepDays), and its artifact is already missing; removing the manifest entry")
        }
        let floorNote = r.verified ? "not among the \(keepMinimum) newest verified backups of \(name)" : "never verified"
        return Decision(record: r, keep: false, reason: "\(age) old, older than keep_days=\(keepDays), and \(floorNote)")
    }

    static func describeAge(_ days: Double) -> String {
        if days < 0 { return "finished in the future (clock skew?)" }
        if days < 1 { return String(format: "%.1f hours", days * 24) }
        return String(format: "%.1f days", days)
    }
}
