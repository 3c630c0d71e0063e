import Foundation

/// A WAL location (`X/Y` as PostgreSQL prints it): a 64-bit byte position in the WAL stream.
public struct LSN: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// Parses `16/B374D848`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...8).contains(parts[0].count), (1...8).contains(parts[1].count),
              let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        value = high << 32 | low
    }

    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (a: LSN, b: LSN) -> Bool { a.value < b.value }
}

/// One WAL segment: timeline and segment number, and the arithmetic PostgreSQL uses to
/// name it (`TTTTTTTTXXXXXXXXYYYYYYYY`, see `XLogFileName` in xlog_internal.h).
public struct WALSegment: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let defaultSize = 16 * 1024 * 1024

    public var timeline: UInt32
    public var number: UInt64
    /// Bytes per segment (`wal_segment_size`, a power of two from 1 MB to 1 GB).
    public var size: Int

    public init(timeline: UInt32, number: UInt64, size: Int = WALSegment.defaultSize) {
        self.timeline = timeline
        self.number = number
        self.size = size
    }

    /// The segment holding `lsn`.
    public init(containing lsn: LSN, timeline: UInt32, size: Int = WALSegment.defaultSize) {
        self.init(timeline: timeline, number: lsn.value / UInt64(size), size: size)
    }

    /// Parses a 24-hex-digit segment file name.
    public init?(fileName: String, size: Int = WALSegment.defaultSize) {
        guard fileName.count == 24, fileName.allSatisfy(\.isHexDigit), WALSegment.isValidSize(size),
              let tli = UInt32(fileName.prefix(8), radix: 16),
              let log = UInt64(fileName.dropFirst(8).prefix(8), radix: 16),
              let seg = UInt64(fileName.suffix(8), radix: 16) else { return nil }
        let perLog = WALSegment.segmentsPerLogID(size)
        guard seg < perLog else { return nil }
        self.init(timeline: tli, number: log * perLog + seg, size: size)
    }

    public static func isValidSize(_ size: Int) -> Bool {
        size >= 1 << 20 && size <= 1 << 30 && size & (size - 1) == 0
    }

    /// How many segments share one "log id" (the middle 8 hex digits): 256 for 16 MB segments.
    static func segmentsPerLogID(_ size: Int) -> UInt64 { 0x1_0000_0000 / UInt64(size) }

    public var fileName: String {
        let perLog = WALSegment.segmentsPerLogID(size)
        return String(format: "%08X%08X%08X", timeline, UInt32(number / perLog), UInt32(number % perLog))
    }

    /// First byte of the segment.
    public var startLSN: LSN { LSN(number * UInt64(size)) }
    /// First byte after the segment.
    public var endLSN: LSN { LSN((number + 1) * UInt64(size)) }

    public func next() -> WALSegment { WALSegment(timeline: timeline, number: number + 1, size: size) }

    public var description: String { fileName }

    public static func < (a: WALSegment, b: WALSegment) -> Bool {
        (a.timeline, a.number) < (b.timeline, b.number)
    }
}

/// What a file in a WAL archive is, by its name alone.
public enum ArchiveFile: Sendable, Hashable {
    /// A complete WAL segment.
    case segment(WALSegment)
    /// The last, incomplete segment of a timeline, archived at promotion (`NAME.partial`).
    case partial(WALSegment)
    /// A backup history file (`NAME.OFFSET.backup`), written by pg_backup_stop.
    case backupHistory(WALSegment)
    /// A timeline history file (`TTTTTTTT.history`): tiny, and needed to follow timelines. Never pruned.
    case timelineHistory(UInt32)
    /// Anything else (an archive_command's `.tmp` leftover, a stray file): never touched.
    case other

    public init(name: String, segmentSize: Int = WALSegment.defaultSize) {
        if let s = WALSegment(fileName: name, size: segmentSize) {
            self = .segment(s)
        } else if name.hasSuffix(".partial"), let s = WALSegment(fileName: String(name.dropLast(8)), size: segmentSize) {
            self = .partial(s)
        } else if name.hasSuffix(".backup"), name.count == 24 + 1 + 8 + 7,
                  name.dropFirst(25).prefix(8).allSatisfy(\.isHexDigit),
                  let s = WALSegment(fileName: String(name.prefix(24)), size: segmentSize) {
            self = .backupHistory(s)
        } else if name.hasSuffix(".history"), name.count == 16, name.prefix(8).allSatisfy(\.isHexDigit),
                  let tli = UInt32(name.prefix(8), radix: 16) {
            self = .timelineHistory(tli)
        } else {
            self = .other
        }
    }

    /// The segment a file belongs to, for the files that belong to one.
    public var segment: WALSegment? {
        switch self {
        case .segment(let s), .partial(let s), .backupHistory(let s): return s
        case .timelineHistory, .other: return nil
        }
    }
}
