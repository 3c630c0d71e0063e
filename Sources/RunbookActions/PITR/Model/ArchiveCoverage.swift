import Foundation

/// What a WAL archive holds for one base backup's timeline: pure arithmetic on file names,
/// so it is tested without a server.
public struct ArchiveCoverage: Sendable, Hashable {
    /// The first segment the backup needs (its start).
    public var first: WALSegment
    /// The segment holding the last byte before the backup's stop LSN.
    public var consistent: WALSegment
    /// The last segment of the unbroken run starting at `first`; nil when `first` itself is missing.
    public var lastContiguous: WALSegment?
    /// The first missing segment after which later segments exist (a hole), if any.
    public var gap: WALSegment?

    /// - Parameters:
    ///   - names: the archive directory's file names.
    public init(names: [String], start: WALSegment, stopLSN: LSN) {
        let numbers = Set(names.compactMap { name -> UInt64? in
            guard case .segment(let s) = ArchiveFile(name: name, segmentSize: start.size), s.timeline == start.timeline else { return nil }
            return s.number
        })
        first = start
        consistent = WALSegment(containing: LSN(max(stopLSN.value, 1) - 1), timeline: start.timeline, size: start.size)
        var n = start.number
        while numbers.contains(n) { n += 1 }
        lastContiguous = n > start.number ? WALSegment(timeline: start.timeline, number: n - 1, size: start.size) : nil
        gap = numbers.contains { $0 > n } ? WALSegment(timeline: start.timeline, number: n, size: start.size) : nil
    }

    /// The backup can at least be made consistent from the archive alone.
    public var reachesConsistency: Bool { (lastContiguous.map { $0.number >= consistent.number }) ?? false }

    /// First WAL position not in the archive.
    public var endLSN: LSN? { lastContiguous?.endLSN }

    /// Segments from the newest contiguous one back to the consistent one, newest first:
    /// where to look for the archive's newest commit.
    public var newestFirst: [WALSegment] {
        guard let last = lastContiguous, last.number >= consistent.number else { return [] }
        return stride(from: last.number, through: consistent.number, by: -1).map {
            WALSegment(timeline: first.timeline, number: $0, size: first.size)
        }
    }

    /// Why the archive cannot even bring the backup to consistency, or nil.
    public var problem: String? {
        guard let last = lastContiguous else {
            return "the archive lacks \(first.fileName), the first segment the base backup needs"
                + (gap != nil ? " (later segments exist)" : "")
        }
        if let gap, gap.number <= consistent.number {
            return "the archive has a hole at \(gap.fileName): segments \(first.fileName)..\(last.fileName) are there, later ones too, but not that one"
        }
        if last.number < consistent.number {
            return "the archive ends at \(last.fileName), before \(consistent.fileName) where the base backup becomes consistent"
        }
        return nil
    }
}

/// Lines of pg_waldump output (run with TZ=UTC) that matter for recovery targets.
public enum WALDumpLines {
    /// Commit and abort times (what `recovery_target_time` is compared with), in the order found.
    public static func transactionTimes(_ text: Substring) -> [Instant] {
        var out: [Instant] = []
        for line in text.split(separator: "\n") {
            guard let desc = line.range(of: "desc: ") else { continue }
            var rest = line[desc.upperBound...]
            guard rest.hasPrefix("COMMIT") || rest.hasPrefix("ABORT") else { continue }
            // "COMMIT 2024-...", "ABORT 2024-...", "COMMIT_PREPARED 744: 2024-..."
            rest = rest.drop { $0 != " " }.dropFirst()
            if let colon = rest.prefix(16).firstIndex(of: ":"), rest[rest.startIndex..<colon].allSatisfy(\.isNumber) {
                rest = rest[rest.index(after: colon)...].drop { $0 == " " }
            }
            guard let semi = rest.range(of: " UTC") else { continue }
            if let t = Instant.parse(String(rest[..<semi.lowerBound]) + "Z") { out.append(t) }
        }
        return out
    }

    /// The LSN of the first `RESTORE_POINT name` record.
    public static func restorePoint(_ name: String, in text: Substring) -> LSN? {
        for line in text.split(separator: "\n") {
            guard let desc = line.range(of: "desc: RESTORE_POINT ") else { continue }
            guard line[desc.upperBound...].trimmingCharacters(in: .whitespaces) == name else { continue }
            guard let at = line.range(of: "lsn: ") else { continue }
            return LSN(String(line[at.upperBound...].prefix { $0 != "," }))
        }
        return nil
    }
}
