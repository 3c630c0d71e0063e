import Foundation

/// Identity files as `age-keygen` writes them: one `AGE-SECRET-KEY-1…` per line, with
/// `#` comment lines (created date, public key) and blank lines ignored.
public enum AgeIdentityFile {
    /// Reads every identity in the file at `path`. Errors name the file and line, never the key.
    public static func load(path: String) throws -> [AgeIdentity] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw AgeError.identityFile(path: path, reason: "cannot read it (\((error as NSError).localizedDescription))")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses identity-file text; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        // "\r\n" is one Character in Swift: both line ends must be named.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, line) in lines.enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            identities.append(try AgeIdentity(String(line), source: "\(path) line \(index + 1)"))
        }
        guard !identities.isEmpty else {
            throw AgeError.identityFile(path: path, reason: "no AGE-SECRET-KEY-1 identity in it")
        }
        return identities
    }

    /// The file `age-keygen` would write: a creation comment, the public key, the secret key.
    public static func render(_ identity: AgeIdentity, created: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        return "# created: \(formatter.string(from: created))\n# public key: \(identity.recipient)\n\(identity.secretText)\n"
    }
}
