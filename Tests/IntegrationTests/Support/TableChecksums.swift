import Foundation

/// Row-for-row fingerprints of a database, computed with plain SQL (independent of the code
/// under test): every user table mapped to `rows:md5`, the md5 of its rows' text in byte
/// order. Two databases with equal maps hold the same data, row for row.
enum TableChecksums {
    static let listTables = """
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        ORDER BY 1
        """

    static func fingerprint(_ table: String) -> String {
        "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\")), '-') FROM \(table) t"
    }

    /// - Parameter psql: runs one SQL text in the database and returns its trimmed,
    ///   unaligned, tuples-only output.
    static func of(_ psql: (String) throws -> String) throws -> [String: String] {
        var out: [String: String] = [:]
        for table in try psql(listTables).split(separator: "\n").map(String.init) {
            out[table] = try psql(fingerprint(table))
        }
        return out
    }
}
