/// SQL and configuration-file quoting. Values reach psql as argv (`-c`), never through a
/// shell; inside the SQL text they are literals with single quotes doubled.
enum SQLText {
    static func literal(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
