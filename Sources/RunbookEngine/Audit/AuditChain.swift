import Crypto
import Foundation
import RunbookCore

/// The line format that makes the audit trail tamper-evident.
///
/// Each line is a JSON object whose last member is `"hash"`: the sha256 of the
/// line's bytes without that member (the object closed right after `"prev"`).
/// `prev` is the previous line's `hash` (64 zeros for the first line), so
/// editing a line breaks its own hash, and deleting, inserting or reordering
/// lines breaks the next line's `prev`.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)
    static let hashSuffixLength = ",\"hash\":\"\"}".utf8.count + 64

    /// `body` is the JSON object text (ending in `}`); returns the full line (no newline) and its hash.
    public static func seal(_ body: Data) -> (line: Data, hash: String) {
        let hash = sha256(body)
        var line = Data(body.dropLast())
        line.append(contentsOf: Array(",\"hash\":\"\(hash)\"}".utf8))
        return (line, hash)
    }

    /// Splits a line into the hashed body and the hash it claims; nil when the line has no hash member.
    public static func unseal(_ line: Data) -> (body: Data, claimed: String)? {
        guard line.count > hashSuffixLength else { return nil }
        let suffix = line.suffix(hashSuffixLength)
        let text = String(decoding: suffix, as: UTF8.self)
        guard text.hasPrefix(",\"hash\":\""), text.hasSuffix("\"}") else { return nil }
        let claimed = String(text.dropFirst(9).dropLast(2))
        guard claimed.count == 64, claimed.allSatisfy(\.isHexDigit) else { return nil }
        var body = Data(line.prefix(line.count - hashSuffixLength))
        body.append(UInt8(ascii: "}"))
        return (body, claimed)
    }

    public static func sha256(_ data: Data) -> String {
        HexText.lowercase(SHA256.hash(data: data))
    }
}
