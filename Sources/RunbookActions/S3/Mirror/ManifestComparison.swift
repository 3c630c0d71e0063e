import Foundation

/// Differences between a manifest and what a bucket or directory holds now.
public struct ManifestComparison: Sendable, Equatable {
    public var missing: [String] = []
    public var extra: [String] = []
    public struct SizeMismatch: Sendable, Equatable {
        public var key: String
        public var expected: Int64
        public var found: Int64
    }

    public var sizeMismatches: [SizeMismatch] = []
    public var checksumMismatches: [String] = []
    /// Keys whose size matches, so their content is worth hashing.
    public var toHash: [ManifestEntry] = []

    public init() {}

    /// Compares names and sizes; checksums are added by the caller after hashing `toHash`.
    public init(manifest: Manifest, found: [String: Int64]) {
        let expected = manifest.byKey
        for entry in manifest.objects {
            guard let size = found[entry.key] else {
                missing.append(entry.key)
                continue
            }
            if size != entry.size { sizeMismatches.append(SizeMismatch(key: entry.key, expected: entry.size, found: size)) }
            else { toHash.append(entry) }
        }
        extra = found.keys.filter { expected[$0] == nil }.sorted()
    }

    public var problemCount: Int { missing.count + extra.count + sizeMismatches.count + checksumMismatches.count }

    /// "2 missing (a, b); 1 size differs (c: manifest 10, found 9)", at most five names per kind.
    public var summary: String {
        func names(_ keys: [String]) -> String {
            keys.prefix(5).joined(separator: ", ") + (keys.count > 5 ? ", ..." : "")
        }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("\(missing.count) missing (\(names(missing)))") }
        if !extra.isEmpty { parts.append("\(extra.count) not in the manifest (\(names(extra)))") }
        if !sizeMismatches.isEmpty {
            let shown = sizeMismatches.prefix(5).map { "\($0.key): manifest \($0.expected) bytes, found \($0.found)" }
            parts.append("\(sizeMismatches.count) of different size (\(shown.joined(separator: ", "))\(sizeMismatches.count > 5 ? ", ..." : ""))")
        }
        if !checksumMismatches.isEmpty {
            parts.append("\(checksumMismatches.count) with a different sha256 (\(names(checksumMismatches.sorted())))")
        }
        return parts.joined(separator: "; ")
    }
}
