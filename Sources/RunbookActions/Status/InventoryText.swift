import Foundation

/// `runbook info`'s text: one section per kind of backup, the facts an operator asks for first
/// ("how old is the newest backup, was it ever restored, is WAL arriving").
public enum InventoryText {
    public static func render(_ inv: BackupInventory, breaches: [String]) -> String {
        var out: [String] = []
        out.append("profile \(inv.profile ?? "(none)") at \(time(inv.generatedAt))")
        out.append("")
        out.append("databases (\(inv.locations.dumps.path), from \(inv.locations.dumps.source))")
        if inv.databases.isEmpty { out.append("  no dumps recorded") }
        for db in inv.databases { out += database(db, indent: "  ") }
        out.append("")
        out.append("roles")
        out += roles(inv.globals, indent: "  ")
        out.append("")
        out.append("WAL archive (\(inv.locations.walArchive.path), from \(inv.locations.walArchive.source))")
        if let wal = inv.walArchive {
            if let last = wal.lastSegment, let at = wal.lastArchivedAt {
                out.append("  last segment  \(last) at \(time(at)) (\(AgeText.format(wal.lagSeconds ?? 0)) ago), \(wal.segments) segments")
            } else {
                out.append("  no segments archived")
            }
            out.append("  gaps          " + (wal.gaps.isEmpty ? "none" : wal.gaps.joined(separator: ", ")))
            out.append("  base backups (\(inv.locations.baseBackups.path))")
            if wal.baseBackups.isEmpty { out.append("    none in the catalog") }
            for b in wal.baseBackups {
                let reach = b.coveredThrough.map { "WAL \(b.firstSegment)..\($0)" } ?? "WAL from \(b.firstSegment) missing"
                out.append("    \(b.id)  stopped \(b.stoppedAt), \(AgeText.bytes(Int64(b.sizeBytes))), \(reach): \(b.usable ? "recoverable" : "NOT recoverable")"
                           + (b.problem.map { " (\($0))" } ?? ""))
            }
        } else {
            out.append("  not found")
        }
        out.append("")
        out.append("media mirror (\(inv.locations.media.path)/media, from \(inv.locations.media.source))")
        if let m = inv.media {
            out.append("  objects     \(m.objects), \(AgeText.bytes(m.totalBytes)) from \(m.source)")
            out.append("  mirrored    " + (m.createdAt.map { "\(time($0)) (\(AgeText.format(m.ageSeconds ?? 0)) ago)" } ?? "unknown"))
        } else {
            out.append("  no mirror manifest")
        }
        if let run = inv.runs.first(where: { $0.runbook == "media-backup" }) {
            out.append("  last run    \(run.runID) \(run.status)")
        }
        out.append("")
        out += offsite(inv.offsite)
        out.append("")
        out.append("last runs")
        if inv.runs.isEmpty { out.append("  none recorded") }
        for r in inv.runs {
            var line = "  \(r.runbook.padding(toLength: 26, withPad: " ", startingAt: 0)) \(r.status.padding(toLength: 12, withPad: " ", startingAt: 0)) \(time(r.startedAt)), \(String(format: "%.1f", r.durationSeconds))s"
            if let rto = r.rtoSeconds, let target = r.rtoTargetSeconds, let met = r.rtoMet {
                line += ", RTO \(String(format: "%.1f", rto))s of \(AgeText.format(target)) \(met ? "met" : "MISSED")"
            }
            out.append(line)
        }
        if !inv.problems.isEmpty {
            out.append("")
            out.append("problems")
            out += inv.problems.map { "  \($0)" }
        }
        out.append("")
        out.append(breaches.isEmpty ? "thresholds: ok" : "thresholds BROKEN:")
        out += breaches.map { "  \($0)" }
        return out.joined(separator: "\n")
    }

    static func database(_ db: DatabaseBackups, indent: String) -> [String] {
        var out = ["\(indent)\(db.database)"]
        if let n = db.newest {
            out.append("\(indent)  newest      \(time(n.finishedAt)) (\(AgeText.format(n.ageSeconds)) ago), \(AgeText.bytes(n.sizeBytes)), \(n.format), \(n.path)")
        } else {
            out.append("\(indent)  newest      none verified")
        }
        out.append("\(indent)  checksum    " + (db.lastChecksum.map { "\(time($0)) (sha256 and read-back at dump time)" } ?? "never"))
        if let t = db.lastRestoreTest {
            let rto = t.restoreSeconds.map { ", restore took \(String(format: "%.1f", $0))s" } ?? ""
            out.append("\(indent)  restored    \(time(t.at)) (\(AgeText.format(t.ageSeconds)) ago), \(t.passed ? "passed" : "FAILED")\(rto), \(t.artifact)")
        } else {
            out.append("\(indent)  restored    never restore-tested")
        }
        out.append("\(indent)  kept        \(db.kept)")
        return out
    }

    static func roles(_ globals: GlobalsBackups?, indent: String) -> [String] {
        guard let g = globals, let n = g.newest else { return ["\(indent)no roles dump recorded"] }
        return ["\(indent)newest      \(time(n.finishedAt)) (\(AgeText.format(n.ageSeconds)) ago), \(AgeText.bytes(n.sizeBytes)), \(n.path)",
                "\(indent)kept        \(g.kept)"]
    }

    /// The repository's section: the same facts as the local ones, or why it could not be read.
    static func offsite(_ offsite: OffsiteRepositoryState) -> [String] {
        guard offsite.configured else { return ["offsite repository", "  " + offsite.note] }
        var out = ["offsite repository (\(offsite.target ?? ""): \(offsite.location ?? ""))"]
        guard offsite.readable else { return out + ["  " + offsite.note] }
        out.append("  " + offsite.note)
        if offsite.databases.isEmpty { out.append("  no dumps in the repository") }
        for db in offsite.databases { out += database(db, indent: "  ") }
        out.append("  roles")
        out += roles(offsite.globals, indent: "    ")
        if let m = offsite.media {
            let when = m.lastPushAt.map { "\(time($0)) (\(AgeText.format(m.ageSeconds ?? 0)) ago)" } ?? "no name index"
            out.append("  media       \(m.objects) objects, \(AgeText.bytes(m.totalBytes)), last push \(when)")
        } else {
            out.append("  media       none in the repository")
        }
        if let w = offsite.wal {
            let when = w.lastArchivedAt.map { " at \(time($0)) (\(AgeText.format(w.lagSeconds ?? 0)) ago)" } ?? ""
            out.append("  WAL         " + (w.lastSegment.map { "last segment \($0)\(when), \(w.segments) segments" } ?? "no complete segment"))
        } else {
            out.append("  WAL         none in the repository")
        }
        return out + offsiteBaseBackups(offsite.baseBackups)
    }

    /// The repository's base backups: the newest complete one, what the repository's WAL lets
    /// it reach, and any push that never finished.
    static func offsiteBaseBackups(_ base: OffsiteBaseBackupsState?) -> [String] {
        guard let base else { return ["  base backups none in the repository"] }
        var out = ["  base backups"]
        if let n = base.newest {
            let when = base.newestStoppedAt.map { "\(time($0)) (\(AgeText.format(base.newestAgeSeconds ?? 0)) ago)" } ?? n.stoppedAt
            out.append("    newest      \(n.id) stopped \(when), \(AgeText.bytes(Int64(n.sizeBytes)))")
            let reach = n.coveredThrough.map { "\(n.firstSegment)..\($0)" } ?? "from \(n.firstSegment) missing"
            let verdict = !n.usable ? "NOT recoverable"
                : base.newestCoversNewestSegment ? "recoverable, unbroken to the newest segment"
                : "recoverable, but only through \(n.coveredThrough ?? ""): later WAL in the repository is out of its reach (a hole, or another timeline)"
            out.append("    WAL         \(reach) in the repository: \(verdict)" + (n.problem.map { " (\($0))" } ?? ""))
        } else {
            out.append("    newest      none complete")
        }
        out.append("    kept        \(base.complete) complete, \(base.recoverable) recoverable from the repository's WAL")
        if !base.incomplete.isEmpty {
            out.append("    incomplete  \(base.incomplete.joined(separator: ", ")) (a push that never finished: never chosen, the next retention deletes it)")
        }
        return out
    }

    static func time(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}

extension BackupInventory {
    /// JSON for machines: snake_case keys, times in RFC 3339 UTC, sorted keys.
    public func json(breaches: [String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(InventoryText.time(date))
        }
        var copy = self
        copy.breaches = breaches
        copy.ok = breaches.isEmpty
        return String(decoding: try encoder.encode(copy), as: UTF8.self)
    }
}
