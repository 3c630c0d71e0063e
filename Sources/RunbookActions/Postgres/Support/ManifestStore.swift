import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and updates `<dir>/manifest.json`. Updates hold an exclusive `flock` on
/// `<dir>/.manifest.lock` (parallel dumps of several databases share one manifest,
/// and so may two runs), and replace the file atomically: write a temporary file,
/// fsync it, rename it over the old one, fsync the directory. A manifest that does
/// not parse is an error, never silently replaced.
struct ManifestStore: Sendable {
    var directory: String

    struct StoreError: Error, CustomStringConvertible {
        var description: String
    }

    var path: String { (directory as NSString).appendingPathComponent(DumpManifest.fileName) }
    private var lockPath: String { (directory as NSString).appendingPathComponent(".manifest.lock") }

    /// The manifest, or an empty one when the directory has none yet. Takes no lock:
    /// the file is only ever replaced whole, so a reader sees the old or the new one.
    func read() throws -> DumpManifest {
        guard FileManager.default.fileExists(atPath: path) else { return DumpManifest() }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StoreError(description: "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            let manifest = try DumpManifest.decoder().decode(DumpManifest.self, from: data)
            guard manifest.version <= DumpManifest.currentVersion else {
                throw StoreError(description: "\(path) has manifest version \(manifest.version); this runbook understands up to \(DumpManifest.currentVersion)")
            }
            return manifest
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(description: "\(path) is not a valid backup manifest (\(Self.describe(error))); fix or move it, it is never overwritten")
        }
    }

    /// Applies `change` to the current manifest under the lock and writes the result atomically.
    /// `justBefore` runs after the new manifest is written and fsynced under its temporary name,
    /// right before it replaces the old one: an artifact's rename there and the manifest's
    /// happen back to back, and the one directory fsync after them makes both durable.
    @discardableResult
    func update<T>(_ change: (inout DumpManifest) throws -> T, justBefore: (() throws -> Void)? = nil) throws -> T {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError(description: "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError(description: "cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { _ = flock(fd, LOCK_UN) }
        var manifest = try read()
        let result = try change(&manifest)
        try write(manifest, justBefore: justBefore)
        return result
    }

    private func write(_ manifest: DumpManifest, justBefore: (() throws -> Void)?) throws {
        let data: Data
        do {
            data = try DumpManifest.encoder().encode(manifest)
        } catch {
            throw StoreError(description: "cannot encode manifest: \(error)")
        }
        let temporary = path + ".tmp"
        do {
            try DurableFiles.writeAndSync(data + Data("\n".utf8), to: temporary)
        } catch {
            unlink(temporary)
            throw StoreError(description: "cannot write \(path): \(error)")
        }
        do {
            try justBefore?()
        } catch {
            unlink(temporary)
            throw error
        }
        do {
            try DurableFiles.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw StoreError(description: "cannot write \(path): \(error)")
        }
    }

    private static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case .dataCorrupted(let c): return c.debugDescription + (c.underlyingError.map { ": \($0.localizedDescription)" } ?? "")
        case .keyNotFound(let key, let c): return "missing \"\(key.stringValue)\" at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            return c.debugDescription + " at " + c.codingPath.map(\.stringValue).joined(separator: ".")
        @unknown default: return "\(e)"
        }
    }
}
