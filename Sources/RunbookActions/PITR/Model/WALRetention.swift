/// Which archived files may go: those that no retained base backup can need. Every retained
/// backup starts at or after the oldest one's start segment, and recovery from a backup never
/// reads WAL before its start, whatever the timeline; so everything whose segment number is
/// below that segment may be pruned (the rule of pg_archivecleanup). Timeline history files
/// are tiny and needed to follow timelines: they are always kept, as is anything unrecognised.
public enum WALRetention {
    public struct Decision: Sendable, Hashable {
        /// File name and why it may go.
        public var prune: [(name: String, reason: String)]
        public var keep: [String]

        public static func == (a: Decision, b: Decision) -> Bool {
            a.keep == b.keep && a.prune.map(\.name) == b.prune.map(\.name) && a.prune.map(\.reason) == b.prune.map(\.reason)
        }
        public func hash(into h: inout Hasher) {
            h.combine(keep)
            h.combine(prune.map(\.name))
        }
    }

    /// - Parameters:
    ///   - oldestStart: the start segment of the oldest retained base backup.
    ///   - backupID: that backup's id, for the reasons.
    public static func decide(names: [String], oldestStart: WALSegment, backupID: String) -> Decision {
        var prune: [(String, String)] = []
        var keep: [String] = []
        for name in names.sorted() {
            let file = ArchiveFile(name: name, segmentSize: oldestStart.size)
            guard let segment = file.segment else {
                keep.append(name)
                continue
            }
            if segment.number < oldestStart.number {
                prune.append((name, "segment \(segment.fileName) precedes \(oldestStart.fileName), where the oldest retained base backup (\(backupID)) starts"))
            } else {
                keep.append(name)
            }
        }
        return Decision(prune: prune, keep: keep)
    }
}
