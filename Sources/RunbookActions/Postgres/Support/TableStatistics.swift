import Foundation

/// Per-table facts about a database, gathered in one `psql` call inside one
/// REPEATABLE READ transaction (so every table is counted in the same snapshot)
/// and returned as a single JSON value, so odd table names cannot break parsing.
enum TableStatistics {
    /// What to compute per table.
    enum Measure: String, Sendable, CaseIterable {
        /// Exact `count(*)`.
        case rowCounts = "row_counts"
        /// md5 of the table's rows as text, in a total order: equal iff the contents are equal row for row.
        case md5
    }

    /// User tables: ordinary and partitioned, outside the system schemas.
    static let userTables = """
        SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) AS key \
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
        AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
        """

    /// Runs a per-table query through `query_to_xml` (a plain function, so no DO block or
    /// temporary function is needed) and pulls out its single value.
    private static func perTable(_ expression: String, as type: String) -> String {
        "(xpath('/row/v/text()', query_to_xml(format('SELECT \(expression) AS v FROM %I.%I t', t.nspname, t.relname), false, true, '')))[1]::text::\(type)"
    }

    /// The SQL returning `{"server_version": ..., "row_counts"|"md5": {"schema.table": ...}}`.
    static func query(_ measure: Measure) -> String {
        let value: String
        switch measure {
        case .rowCounts: value = perTable("count(*)", as: "bigint")
        // ''...'' because the expression sits inside format()'s string literal.
        case .md5: value = perTable("coalesce(md5(string_agg(t::text, E''\\n'' ORDER BY t::text COLLATE \"C\")), md5(''''))", as: "text")
        }
        return "SELECT json_build_object('server_version', current_setting('server_version'), "
            + "'\(measure.rawValue)', (SELECT coalesce(json_object_agg(t.key, \(value) ORDER BY t.key), '{}') FROM (\(userTables)) t))"
    }

    /// psql `-c` statements: the query inside a read-only repeatable-read transaction, without
    /// parallel workers. (A dump counts its rows in pg_dump's own snapshot: see `SharedSnapshot`.)
    static func statements(_ measure: Measure) -> [String] {
        ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "SET LOCAL max_parallel_workers_per_gather = 0", query(measure), "COMMIT"]
    }

    struct Snapshot: Sendable, Equatable {
        var serverVersion: String?
        var rowCounts: [String: Int64]
        var md5: [String: String]
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses the query's output (psql `-A -t`: the JSON value on one line).
    static func parse(_ output: String) throws -> Snapshot {
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ParseError(description: "unexpected output from the table statistics query: \(text.prefix(200))")
        }
        var snapshot = Snapshot(serverVersion: object["server_version"] as? String, rowCounts: [:], md5: [:])
        if let counts = object["row_counts"] as? [String: Any] {
            for (k, v) in counts {
                guard let n = (v as? NSNumber)?.int64Value else { throw ParseError(description: "row count of \(k) is not a number") }
                snapshot.rowCounts[k] = n
            }
        }
        if let sums = object["md5"] as? [String: Any] {
            for (k, v) in sums {
                guard let s = v as? String else { throw ParseError(description: "md5 of \(k) is not text") }
                snapshot.md5[k] = s
            }
        }
        return snapshot
    }

    /// Human-readable differences between an expected and an actual per-table map, sorted by
    /// table. Tables only in `actual` count only when `exact` (a restore over an existing
    /// database may keep tables the backup never had).
    static func differences<V: Equatable & CustomStringConvertible>(expected: [String: V], actual: [String: V], what: String,
                                                                     exact: Bool = true) -> [String] {
        var out: [String] = []
        for key in Set(expected.keys).union(actual.keys).sorted() {
            switch (expected[key], actual[key]) {
            case let (e?, a?) where e != a: out.append("\(key): \(what) \(a), expected \(e)")
            case (_?, nil): out.append("\(key): missing")
            case (nil, _?) where exact: out.append("\(key): not in the expected set")
            default: break
            }
        }
        return out
    }
}
