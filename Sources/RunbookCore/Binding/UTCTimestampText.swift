import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// ISO 8601 text of UTC times (`2026-12-04T23:58:20Z`, `2026-12-04T23:58:20.123Z`), written and
/// read with the C library.
///
/// `ISO8601DateFormatter` on Linux goes through CoreFoundation to ICU: its first use in a process
/// builds ICU's calendar and formatter, about 4 ms of CPU in every run's start-up (audit lines,
/// the journal, `run.started_at`, the manifest). The formats the engine writes itself need none of it.
public enum UTCTimestampText {
    /// Seconds, or milliseconds rounded to the nearest as Foundation rounds them, always with `Z`.
    public static func format(_ date: Date, milliseconds: Bool) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(totalMilliseconds.floorDivided(by: 1000))
        let millisecond = Int(totalMilliseconds - Int64(seconds) * 1000)
        var fields = tm()
        gmtime_r(&seconds, &fields)
        var text = pad(Int(fields.tm_year) + 1900, 4) + "-" + pad(Int(fields.tm_mon) + 1, 2) + "-" + pad(Int(fields.tm_mday), 2)
        text += "T" + pad(Int(fields.tm_hour), 2) + ":" + pad(Int(fields.tm_min), 2) + ":" + pad(Int(fields.tm_sec), 2)
        if milliseconds { text += "." + pad(millisecond, 3) }
        return text + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS`, then 1 to 3 digits of fraction or none, then `Z` or `±HH:MM`;
    /// nil for anything else (callers then ask Foundation, which reads more forms).
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
              let year = number(b, 0, 4), let month = number(b, 5, 2), let day = number(b, 8, 2),
              let hour = number(b, 11, 2), let minute = number(b, 14, 2), let second = number(b, 17, 2) else { return nil }
        var i = 19
        var millisecond = 0
        if i < b.count, b[i] == 0x2E {
            var digits = 0
            i += 1
            while i < b.count, let d = digit(b[i]) {
                millisecond = millisecond * 10 + d
                digits += 1
                i += 1
            }
            guard (1...3).contains(digits) else { return nil }
            for _ in digits..<3 { millisecond *= 10 }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 0x5A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D {
            guard i + 6 == b.count, b[i + 3] == 0x3A, let h = number(b, i + 1, 2), let m = number(b, i + 4, 2),
                  h < 24, m < 60 else { return nil }
            offset = (h * 60 + m) * 60 * (b[i] == 0x2B ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        let seconds = timegm(&fields)
        // timegm normalises 31 February into March; such a date is not one this reads.
        guard fields.tm_mday == Int32(day), fields.tm_mon == Int32(month - 1) else { return nil }
        return Date(timeIntervalSince1970: Double((Int64(seconds) - Int64(offset)) * 1000 + Int64(millisecond)) / 1000)
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (0x30...0x39).contains(byte) ? Int(byte - 0x30) : nil
    }

    private static func number(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for k in start..<(start + count) {
            guard let d = digit(b[k]) else { return nil }
            value = value * 10 + d
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

private extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
