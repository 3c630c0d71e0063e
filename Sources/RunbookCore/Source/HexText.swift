/// Lowercase hex of bytes (digests in the audit chain, artifacts, plans).
///
/// `String(format: "%02x")` per byte goes through Foundation's locale-aware formatting: 32 calls
/// for every audit line's sha256, a few milliseconds of each run's start-up for nothing.
public enum HexText {
    public static func lowercase<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
