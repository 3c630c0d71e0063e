import Foundation

/// Why `wal-push` or `wal-fetch` failed, in words that read well in PostgreSQL's log.
public enum WALArchiveError: Error, Equatable, CustomStringConvertible {
    case notAWALFile(String)
    case unreadable(path: String, reason: String)
    case unwritable(path: String)
    case differentCopyArchived(name: String, archived: String, local: String)
    case ambiguous(name: String, keys: [String])
    case empty(String)
    case badConfig(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAWALFile(let name):
            return "\"\(name)\" is not a WAL file name (segment, .partial, .backup or .history)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unwritable(let path):
            return "cannot write \(path): \(String(cString: strerror(errno)))"
        case .differentCopyArchived(let name, let archived, let local):
            return "\(name) is already archived with different contents (sha256 \(archived.prefix(12))…, this one \(local.prefix(12))…); refusing to overwrite it. Another server may be archiving to the same repository prefix"
        case .ambiguous(let name, let keys):
            return "\(name) is archived more than once (\(keys.joined(separator: ", "))); refusing to choose"
        case .empty(let repository):
            return "no WAL is archived in \(repository)"
        case .badConfig(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
