import Foundation

/// Why an age operation failed. Messages never contain key material: an identity is named
/// by its file and line, never by its text.
public enum AgeError: Error, Equatable, CustomStringConvertible {
    /// The header does not follow age-encryption.org/v1 (the bytes are not an age file, or a damaged one).
    case malformedHeader(String)
    /// An age file of another format version.
    case unsupportedVersion(String)
    /// The header parsed, but none of its recipient stanzas opens with the given identities.
    case noMatchingIdentity(stanzas: Int)
    /// A file key was unwrapped but the header's MAC does not match it: the header was altered.
    case headerMACMismatch
    /// The input ended before the payload's final chunk: the file is truncated.
    case truncated(String)
    /// A payload chunk failed authentication: the ciphertext was altered (or is not this file's).
    case payloadAuthenticationFailed(chunk: UInt64)
    /// Bytes follow the final chunk.
    case trailingData
    /// An `age1…` recipient that does not decode.
    case invalidRecipient(String, reason: String)
    /// An identity that does not decode; `source` says where it came from (file and line), never its text.
    case invalidIdentity(source: String, reason: String)
    /// An identity file that cannot be read or holds no identity.
    case identityFile(path: String, reason: String)
    /// The caller fed data after `finish()`, or called `finish()` twice.
    case misuse(String)

    /// The test-vector category this error belongs to: "header failure", "no match",
    /// "HMAC failure" or "payload failure" (C2SP age testkit names); "key" for key decoding errors.
    public var category: String {
        switch self {
        case .malformedHeader, .unsupportedVersion: return "header failure"
        case .noMatchingIdentity: return "no match"
        case .headerMACMismatch: return "HMAC failure"
        case .truncated, .payloadAuthenticationFailed, .trailingData: return "payload failure"
        case .invalidRecipient, .invalidIdentity, .identityFile, .misuse: return "key"
        }
    }

    public var description: String {
        switch self {
        case .malformedHeader(let reason):
            return "not a valid age file: \(reason)"
        case .unsupportedVersion(let line):
            return "unsupported age format version \"\(line)\" (this build reads age-encryption.org/v1)"
        case .noMatchingIdentity(let stanzas):
            return "no identity matches: none of the file's \(stanzas) recipient stanza(s) opens with the given identities (wrong key?)"
        case .headerMACMismatch:
            return "the age header's MAC does not match: the header was modified"
        case .truncated(let reason):
            return "the encrypted stream is truncated: \(reason)"
        case .payloadAuthenticationFailed(let chunk):
            return "payload chunk \(chunk) failed authentication: the ciphertext was modified, damaged or cut short"
        case .trailingData:
            return "data follows the final chunk of the encrypted stream"
        case .invalidRecipient(let text, let reason):
            return "invalid age recipient \"\(text)\": \(reason)"
        case .invalidIdentity(let source, let reason):
            return "invalid age identity (\(source)): \(reason)"
        case .identityFile(let path, let reason):
            return "age identity file \(path): \(reason)"
        case .misuse(let reason):
            return "age stream misuse: \(reason)"
        }
    }
}
