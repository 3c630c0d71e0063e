import Foundation

/// A point in time with PostgreSQL's resolution (microseconds, UTC). Recovery targets,
/// commit times from pg_waldump and catalog times are compared as these, never as
/// Doubles, so a target one microsecond after a commit is still after it.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public init(_ date: Date) {
        microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// Parses what an operator or PostgreSQL writes: `2024-01-15 14:30:00`, `2024-01-15T14:30:00.25Z`,
    /// `2024-01-15 14:30:00.123456+03`, `2024-01-15 14:30:00 UTC`. A time without a zone is UTC.
    public static func parse(_ text: String) -> Instant? {
        let s = text.trimmingCharacters(in: .whitespaces)
        let pattern = #"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"#
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
        func group(_ i: Int) -> String? {
            guard let r = Range(m.range(at: i), in: s) else { return nil }
            return String(s[r])
        }
        guard let year = Int(group(1) ?? ""), let month = Int(group(2) ?? ""), let day = Int(group(3) ?? ""),
              let hour = Int(group(4) ?? ""), let minute = Int(group(5) ?? ""), let second = Int(group(6) ?? ""),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        var fraction: Int64 = 0
        if let f = group(7) { fraction = Int64(f.padding(toLength: 6, withPad: "0", startingAt: 0)) ?? 0 }
        var offsetSeconds = 0
        if let zone = group(8), zone.hasPrefix("+") || zone.hasPrefix("-") {
            let digits = zone.dropFirst().filter(\.isNumber)
            let hours = Int(digits.prefix(2)) ?? 0
            let minutes = digits.count > 2 ? Int(digits.dropFirst(2)) ?? 0 : 0
            offsetSeconds = (hours * 3600 + minutes * 60) * (zone.hasPrefix("-") ? -1 : 1)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        let wholeSeconds = Int64(date.timeIntervalSince1970.rounded()) - Int64(offsetSeconds)
        return Instant(microseconds: wholeSeconds * 1_000_000 + fraction)
    }

    /// Seconds since the epoch as psql prints `extract(epoch from ...)`: `1705329000.123456`.
    public static func parseEpoch(_ text: String) -> Instant? {
        let s = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let negative = s.hasPrefix("-")
        let body = negative ? String(s.dropFirst()) : s
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = String(parts[1].prefix(6)).padding(toLength: 6, withPad: "0", startingAt: 0)
            guard parts[1].allSatisfy(\.isNumber), let f = Int64(digits) else { return nil }
            fraction = f
        }
        let micros = whole * 1_000_000 + fraction
        return Instant(microseconds: negative ? -micros : micros)
    }

    /// `2024-01-15 14:30:00.123456+00`: the form written into postgresql.auto.conf.
    public var postgresText: String { formatted(separator: " ", zone: "+00") }

    /// `2024-01-15T14:30:00.123456Z`: the form kept in the catalog and outputs.
    public var iso8601: String { formatted(separator: "T", zone: "Z") }

    public var description: String { iso8601 }

    private func formatted(separator: String, zone: String) -> String {
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let fraction = microseconds - seconds * 1_000_000
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                        from: Date(timeIntervalSince1970: Double(seconds)))
        let day = String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
        let time = String(format: "%02d:%02d:%02d.%06lld", c.hour ?? 0, c.minute ?? 0, c.second ?? 0, fraction)
        return day + separator + time + zone
    }

    public static func < (a: Instant, b: Instant) -> Bool { a.microseconds < b.microseconds }
}
