import Foundation
import RunbookCore
#if canImport(Glibc)
import Glibc
#endif

/// Resolves declared secrets (runbook `secrets:` and profile `secrets:`) once, at run start.
///
/// A secret comes from an environment variable or a file; when both are declared
/// the variable wins if it is set. A secret file must not be readable or writable
/// by group or others (like ssh's private keys): such a file is refused, not
/// warned about, because by the time a warning is read the secret is already exposed.
public enum SecretResolver {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var name: String
        public var reason: String
        public var location: SourceLocation?
        public var description: String { "secret \"\(name)\": \(reason)" }
        public var diagnostic: Diagnostic { .error(.secretUnavailable, description, at: location) }
    }

    /// Every secret that could not be resolved.
    public struct Failures: Error, Sendable {
        public var items: [Failure]
    }

    /// Runbook declarations first; a profile declaration of the same name is ignored.
    public static func declarations(runbook: Runbook, profile: Profile?) -> [SecretDecl] {
        var seen = Set<String>()
        var out: [SecretDecl] = []
        for decl in runbook.secrets + (profile?.secrets ?? []) where seen.insert(decl.name).inserted {
            out.append(decl)
        }
        return out
    }

    /// All declared secrets by name, or every failure (so one attempt reports them all).
    public static func resolve(_ decls: [SecretDecl],
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<[String: String], Failures> {
        var values: [String: String] = [:]
        var failures: [Failure] = []
        for decl in decls {
            switch resolve(decl, environment: environment) {
            case .success(let v): values[decl.name] = v
            case .failure(let f): failures.append(f)
            }
        }
        return failures.isEmpty ? .success(values) : .failure(Failures(items: failures))
    }

    static func resolve(_ decl: SecretDecl, environment: [String: String]) -> Result<String, Failure> {
        func fail(_ why: String) -> Result<String, Failure> { .failure(Failure(name: decl.name, reason: why, location: decl.location)) }
        if let variable = decl.env, let value = environment[variable], !value.isEmpty {
            return .success(value)
        }
        guard let rawPath = decl.file else {
            return fail("environment variable \(decl.env ?? "?") is not set")
        }
        let path = (rawPath as NSString).expandingTildeInPath
        var st = stat()
        guard stat(path, &st) == 0 else {
            let envNote = decl.env.map { "environment variable \($0) is not set and " } ?? ""
            return fail("\(envNote)file \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return fail("\(path) is not a regular file") }
        let mode = st.st_mode & 0o777
        if mode & 0o077 != 0 {
            return fail("\(path) has mode \(String(mode, radix: 8)); secret files must not be accessible to group or others (chmod 600 \(path))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return fail("file \(path) cannot be read")
        }
        var value = String(decoding: data, as: UTF8.self)
        if value.hasSuffix("\r\n") { value.removeLast(2) } else if value.hasSuffix("\n") { value.removeLast() }
        guard !value.isEmpty else { return fail("file \(path) is empty") }
        return .success(value)
    }
}
