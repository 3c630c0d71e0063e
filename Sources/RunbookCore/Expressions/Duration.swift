import Foundation

/// Durations as runbooks write them.
public enum Duration {
    /// Parses `90`, `90s`, `500ms`, `5m`, `1h30m`, `2d` into seconds.
    public static func parseSeconds(_ text: String) -> Double? {
        if let seconds = parseASCII(text) { return seconds }
        return parseCharacters(text)
    }

    /// `parseSeconds` for any text (tests compare it with `parseASCII` on ASCII text).
    static func parseCharacters(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.isEmpty { return nil }
        if let n = Double(s), n >= 0 { return n }
        var total = 0.0
        var number = ""
        var chars = Array(s)[...]
        var sawUnit = false
        while let c = chars.first {
            if c.isNumber || c == "." {
                number.append(c)
                chars = chars.dropFirst()
                continue
            }
            var unit = ""
            while let u = chars.first, u.isLetter { unit.append(u); chars = chars.dropFirst() }
            guard let n = Double(number) else { return nil }
            let factor: Double
            switch unit {
            case "ms": factor = 0.001
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            case "d": factor = 86400
            default: return nil
            }
            total += n * factor
            number = ""
            sawUnit = true
        }
        return number.isEmpty && sawUnit ? total : nil
    }

    /// The same grammar over bytes, for the usual ASCII text: `parseSeconds` runs for every
    /// `timeout:` of every step, and Foundation's trimming and Character walking showed.
    /// `.none` means "decide the slow way" (non-ASCII text); `.some(nil)` is a definite no.
    static func parseASCII(_ text: String) -> Double?? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return .none }
        let isSpace = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }) else { return .some(nil) }
        let s = bytes[first...last]
        if let n = Double(String(decoding: s, as: UTF8.self)), n >= 0 { return n }
        var total = 0.0
        var i = s.startIndex
        var numberStart = i
        var sawUnit = false
        while i < s.endIndex {
            let c = s[i]
            if (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") {
                i += 1
                continue
            }
            let numberEnd = i
            while i < s.endIndex, (s[i] | 0x20) >= UInt8(ascii: "a"), (s[i] | 0x20) <= UInt8(ascii: "z") { i += 1 }
            guard let n = Double(String(decoding: s[numberStart..<numberEnd], as: UTF8.self)) else { return .some(nil) }
            let factor: Double
            switch String(decoding: s[numberEnd..<i], as: UTF8.self) {
            case "ms": factor = 0.001
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            case "d": factor = 86400
            default: return .some(nil)
            }
            total += n * factor
            numberStart = i
            sawUnit = true
        }
        return numberStart == s.endIndex && sawUnit ? total : .some(nil)
    }
}
