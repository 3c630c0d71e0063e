import Foundation

/// Why a repository operation failed, beyond S3's and age's own errors.
public enum RepositoryError: Error, Equatable, CustomStringConvertible {
    case notInManifest(name: String)
    case badManifest(key: String, reason: String)
    case verificationFailed(name: String, what: String, expected: String, actual: String)
    case badName(String)
    case tooLarge(name: String, size: Int64, limit: Int64)

    public var description: String {
        switch self {
        case .notInManifest(let name):
            return "\"\(name)\" is not in the repository's manifest (never pushed, or its push did not finish)"
        case .badManifest(let key, let reason):
            return "the repository manifest \(key) cannot be read: \(reason)"
        case .verificationFailed(let name, let what, let expected, let actual):
            return "\"\(name)\" does not match the manifest: \(what) is \(actual), the manifest says \(expected); nothing was restored"
        case .badName(let name):
            return "\"\(name)\" is not a repository object name (NAMESPACE/NAME: letters, digits, '.', '-', '_' and '/' between parts)"
        case .tooLarge(let name, let size, let limit):
            return "\"\(name)\" is \(size) bytes, more than the \(limit) bytes a catalog may have"
        }
    }
}
