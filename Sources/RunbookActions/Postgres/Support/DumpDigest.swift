import Crypto
import Foundation

/// sha256 of an artifact, streamed (see `FileHashing`) so a multi-gigabyte dump never sits in memory.
/// A directory archive's digest is the sha256 of its listing, one `relative/path sha256` line
/// per file in byte order of the path, so any changed, added or missing file changes it.
enum DumpDigest {
    static func sha256(of path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DurableFiles.FileError("\(path) does not exist")
        }
        return isDirectory.boolValue ? try directoryDigest(path) : try fileDigest(path)
    }

    static func fileDigest(_ path: String) throws -> String {
        do {
            return try FileHashing.sha256(of: path).hex
        } catch let error as LocalIOError {
            throw DurableFiles.FileError(error.description)
        }
    }

    static func directoryDigest(_ path: String) throws -> String {
        var lines: [String] = []
        for relative in try files(below: path, prefix: "") {
            lines.append("\(relative) \(try fileDigest((path as NSString).appendingPathComponent(relative)))\n")
        }
        return SHA256.hash(data: Data(lines.joined().utf8)).hex
    }

    private static func files(below directory: String, prefix: String) throws -> [String] {
        var out: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let full = (directory as NSString).appendingPathComponent(name)
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory)
            if isDirectory.boolValue { out += try files(below: full, prefix: relative) } else { out.append(relative) }
        }
        return out.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
