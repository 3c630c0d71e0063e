import Foundation
import RunbookCore

/// One side of a mirror: `s3://bucket[/prefix]` or a local directory.
public enum MirrorLocation: Sendable, Equatable, CustomStringConvertible {
    /// `prefix` is empty or ends with `/`: `s3://media/photos` mirrors the "folder" photos/,
    /// never the sibling photos-old/.
    case bucket(name: String, prefix: String)
    case directory(String)

    /// Parses an input value; `input` names the input in errors.
    public static func parse(_ text: String, input: String) throws -> MirrorLocation {
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            try validateBucket(bucket, input: input)
            var prefix = String(rest.dropFirst(bucket.count))
            if prefix.hasPrefix("/") { prefix.removeFirst() }
            return .bucket(name: bucket, prefix: try folderPrefix(prefix, input: input))
        }
        if text.contains("://") {
            throw ActionInputError.invalid(input, "\"\(text)\" must be s3://bucket[/prefix] or a local directory")
        }
        guard !text.isEmpty else { throw ActionInputError.invalid(input, "must not be empty") }
        return .directory(text)
    }

    /// A prefix as a folder: empty, or ending with `/` (`photos` becomes `photos/`).
    public static func folderPrefix(_ raw: String, input: String) throws -> String {
        guard !raw.isEmpty else { return "" }
        let prefix = raw.hasSuffix("/") ? raw : raw + "/"
        if prefix.hasPrefix("/") || prefix.contains("//") {
            throw ActionInputError.invalid(input, "prefix \"\(raw)\" has an empty path segment (a leading / or //)")
        }
        return prefix
    }

    /// S3's rules, loosely: 3-63 characters of lowercase letters, digits, dots, hyphens (and
    /// underscores, which older servers allow), starting and ending with a letter or digit.
    public static func validateBucket(_ name: String, input: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "_"
        }
        guard (3...63).contains(name.count), allowed,
              let first = name.first, first.isLetter || first.isNumber,
              let last = name.last, last.isLetter || last.isNumber
        else {
            throw ActionInputError.invalid(input, "\"\(name)\" is not a valid bucket name (3-63 lowercase letters, digits, dots or hyphens)")
        }
    }

    public var isBucket: Bool { if case .bucket = self { return true }; return false }

    public var description: String {
        switch self {
        case .bucket(let name, let prefix): return "s3://\(name)/\(prefix)"
        case .directory(let path): return path
        }
    }
}

/// Maps object keys to local relative paths and refuses the ones that cannot be files safely.
public enum MirrorPaths {
    /// The suffix of files still being written; such keys would collide with our own temporary files.
    public static let partialSuffix = ".partial"

    /// Why a key cannot be written under a local directory, or nil when it can.
    public static func problem(withRelativeKey key: String) -> String? {
        if key.isEmpty { return "an empty name" }
        if key.hasPrefix("/") { return "an absolute path" }
        if key.utf8.contains(0) { return "a NUL byte" }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { $0.isEmpty }) { return "an empty path segment (//)" }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return "a . or .. segment, which would escape the directory" }
        if segments.contains(where: { $0.utf8.count > 255 }) { return "a path segment longer than 255 bytes" }
        if key.hasSuffix(partialSuffix) { return "the \(partialSuffix) suffix, which the mirror uses for files being written" }
        return nil
    }

    /// Keys that are both a file and a folder of other keys (`a` and `a/b`) cannot both be local files.
    public static func fileFolderConflicts(_ keys: [String]) -> [String] {
        let all = Set(keys)
        var conflicts: [String] = []
        for key in keys {
            var path = Substring(key)
            while let slash = path.lastIndex(of: "/") {
                path = path[..<slash]
                if all.contains(String(path)) {
                    conflicts.append(String(path))
                    break
                }
            }
        }
        return Array(Set(conflicts)).sorted()
    }
}
