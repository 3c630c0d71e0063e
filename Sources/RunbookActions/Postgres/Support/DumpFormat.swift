import Foundation

/// The formats `postgres.dump` writes, and what `postgres.restore` recognises.
enum DumpFormat: String, Sendable, Codable, CaseIterable {
    /// SQL text, restored with `psql`.
    case plain
    /// SQL text compressed by `pg_dump -Z` (one process, so one exit status), restored through `gzip -dc | psql`.
    case gzip
    /// `pg_dump -Fc`: compressed archive, restored with `pg_restore`, parallel with `-j`.
    case custom
    /// `pg_dump -Fd -j N`: a directory with `toc.dat`, dumped and restored in parallel.
    case directory
    /// `pg_dump -Ft`: recognised when restoring; not offered for dumping.
    case tar

    /// Formats a runbook may ask `postgres.dump` for.
    static let dumpable: [DumpFormat] = [.plain, .gzip, .custom, .directory]

    /// The conventional suffix, used to name new artifacts (never to recognise them).
    var fileExtension: String {
        switch self {
        case .plain: return ".sql"
        case .gzip: return ".sql.gz"
        case .custom: return ".dump"
        case .directory: return ".dir"
        case .tar: return ".tar"
        }
    }

    /// Restored by `pg_restore` (an archive) rather than by `psql` (SQL text).
    var isArchive: Bool { self == .custom || self == .directory || self == .tar }

    /// `pg_dump` options selecting the format.
    func pgDumpArguments(jobs: Int, compression: Int?) -> [String] {
        switch self {
        case .plain: return ["-Fp"]
        case .gzip: return ["-Fp", "-Z", String(compression ?? 6)]
        case .custom: return ["-Fc"] + (compression.map { ["-Z", String($0)] } ?? [])
        case .directory: return ["-Fd", "-j", String(max(1, jobs))] + (compression.map { ["-Z", String($0)] } ?? [])
        case .tar: return ["-Ft"]
        }
    }
}

/// Finds an artifact's real format from its first bytes, never from its name:
/// a `.sql` file that is really a custom archive is restored with pg_restore.
enum DumpSniffer {
    enum SniffError: Error, CustomStringConvertible {
        case missing(String)
        case unreadable(String, String)
        case empty(String)
        case directoryWithoutTOC(String)

        var description: String {
            switch self {
            case .missing(let p): return "\(p) does not exist"
            case .unreadable(let p, let why): return "cannot read \(p): \(why)"
            case .empty(let p): return "\(p) is empty; an empty file is never a complete dump"
            case .directoryWithoutTOC(let p): return "\(p) is a directory without toc.dat, so not a pg_dump directory archive"
            }
        }
    }

    /// The format of the artifact at `path`.
    static func sniff(path: String) throws -> DumpFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw SniffError.missing(path) }
        if isDirectory.boolValue {
            let toc = (path as NSString).appendingPathComponent("toc.dat")
            guard FileManager.default.fileExists(atPath: toc) else { throw SniffError.directoryWithoutTOC(path) }
            return .directory
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SniffError.unreadable(path, "permission denied or not a file") }
        defer { try? handle.close() }
        let head: Data
        do {
            head = try handle.read(upToCount: 512) ?? Data()
        } catch {
            throw SniffError.unreadable(path, "\(error)")
        }
        guard !head.isEmpty else { throw SniffError.empty(path) }
        return sniff(header: head)
    }

    /// The format implied by a file's first bytes (up to 512 are looked at).
    static func sniff(header: Data) -> DumpFormat {
        let bytes = [UInt8](header.prefix(512))
        if bytes.starts(with: Array("PGDMP".utf8)) { return .custom }
        if bytes.starts(with: [0x1f, 0x8b]) { return .gzip }
        // POSIX tar: "ustar" at offset 257 of the first header block.
        if bytes.count >= 262, Array(bytes[257..<262]) == Array("ustar".utf8) { return .tar }
        return .plain
    }
}
