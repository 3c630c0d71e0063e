import Foundation

/// Quoting for the few places where a value must be written into SQL text
/// (`CREATE DATABASE`, catalog lookups). Database names are validated identifiers
/// already; quoting anyway keeps their case and makes injection impossible.
enum PostgresQuoting {
    /// `"name"`, doubling embedded quotes, as `quote_ident` does.
    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `'text'`, doubling embedded quotes (standard_conforming_strings is on since 9.1).
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
