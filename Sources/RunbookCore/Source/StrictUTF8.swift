import Foundation

/// Strict UTF-8 decoding at the speed of the standard library's repairing decoder.
/// `String(validating:as:)` takes a generic path that cost more per scalar than libyaml
/// spent parsing it.
enum StrictUTF8 {
    /// The text, or nil when `bytes` is not valid UTF-8.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var text = String(decoding: bytes, as: UTF8.self)
        // Repairing replaces every invalid sequence with U+FFFD, which changes the bytes.
        let unchanged = text.withUTF8 { decoded in
            guard decoded.count == bytes.count else { return false }
            guard let a = decoded.baseAddress, let b = bytes.baseAddress else { return true }
            return memcmp(a, b, bytes.count) == 0
        }
        return unchanged ? text : nil
    }

    static func decode(_ data: Data) -> String? {
        data.withUnsafeBytes { decode($0.bindMemory(to: UInt8.self)) }
    }
}
