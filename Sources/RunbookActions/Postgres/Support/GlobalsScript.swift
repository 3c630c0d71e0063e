import Foundation

/// A `pg_dumpall --globals-only` script, split into statements and each statement tied to
/// what it changes, so a restore can leave alone the roles a server already has.
///
/// The script cannot be fed to psql as it is: it says `CREATE ROLE aqstream;` for the
/// connecting superuser too, which fails on any server that has it (and with ON_ERROR_STOP
/// stops the restore there), and its `ALTER ROLE ... WITH ... PASSWORD` would rewrite the
/// attributes and password of a role that exists. So the statements are classified here,
/// and `restoring(existing:)` keeps the ones about roles the server lacks.
/// Anything this reader does not recognise refuses the whole script rather than being
/// run or dropped unseen.
struct GlobalsScript: Sendable, Equatable {
    enum Subject: Sendable, Equatable {
        /// `SET ...` at the top of the script.
        case session
        /// `CREATE ROLE`, `ALTER ROLE` (attributes, password, settings), `COMMENT ON ROLE`,
        /// `SECURITY LABEL ... ON ROLE`.
        case role(String)
        /// `GRANT role TO member ...`: an attribute of the member.
        case membership(role: String, member: String)
        /// `GRANT ... ON PARAMETER ... TO roles` (PostgreSQL 15).
        case parameterGrant(grantees: [String])
        /// `CREATE/ALTER TABLESPACE`, `COMMENT ON TABLESPACE`, `GRANT ... ON TABLESPACE`.
        case tablespace(String)
    }

    struct Statement: Sendable, Equatable {
        var text: String
        var subject: Subject
        /// 1-based line of the statement's first character in the file.
        var line: Int
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    var statements: [Statement]

    /// Roles the script creates, in its order.
    var roles: [String] {
        statements.compactMap { s in
            guard case .role(let name) = s.subject, s.text.lowercased().hasPrefix("create role") else { return nil }
            return name
        }
    }

    /// Tablespaces the script creates.
    var tablespaces: [String] {
        var seen: [String] = []
        for s in statements {
            if case .tablespace(let name) = s.subject, !seen.contains(name) { seen.append(name) }
        }
        return seen
    }

    /// What a restore onto a server with the roles `existing` runs and leaves out.
    struct Restoring: Sendable, Equatable {
        /// The statements to run, each ending in `;`.
        var sql: String
        var created: [String]
        /// Roles of the script the server has already: not altered in any way.
        var kept: [String]
        /// `role TO member` memberships left out because the member existed.
        var skippedMemberships: [String]
    }

    func restoring(existing: Set<String>) -> Restoring {
        let created = roles.filter { !existing.contains($0) }
        let new = Set(created)
        var lines: [String] = []
        var skipped: [String] = []
        for s in statements {
            switch s.subject {
            case .session:
                lines.append(s.text)
            case .role(let name):
                if new.contains(name) { lines.append(s.text) }
            case .membership(let role, let member):
                if new.contains(member) { lines.append(s.text) } else { skipped.append("\(role) TO \(member)") }
            case .parameterGrant(let grantees):
                if !grantees.isEmpty && grantees.allSatisfy(new.contains) { lines.append(s.text) }
            case .tablespace:
                continue
            }
        }
        let sql = created.isEmpty ? "" : lines.map { $0 + ";\n" }.joined()
        return Restoring(sql: sql, created: created, kept: roles.filter(existing.contains), skippedMemberships: skipped)
    }

    /// Splits and classifies the script. psql's `\restrict`/`\unrestrict` lines (added to
    /// dumps by 15.14 and later) are dropped; any other backslash command is refused.
    static func parse(_ text: String) throws -> GlobalsScript {
        var out: [Statement] = []
        for (body, line) in try SQLStatementSplitter.split(text) {
            out.append(Statement(text: body, subject: try classify(body, line: line), line: line))
        }
        return GlobalsScript(statements: out)
    }

    static func classify(_ statement: String, line: Int) throws -> Subject {
        let t = SQLTokens(statement)
        func unsupported() -> ParseError {
            // The first words only: an unknown statement might carry a password further on.
            ParseError(description: "line \(line): a globals dump holds no statement starting \"\(t.words.prefix(3).joined(separator: " "))\"; refusing to restore a script this reader does not understand")
        }
        let w = t.words
        guard let first = w.first else { throw unsupported() }
        switch first {
        case "set":
            return .session
        case "create", "alter":
            guard w.count > 2 else { throw unsupported() }
            if w[1] == "role" { return .role(t.names[2]) }
            if w[1] == "tablespace" { return .tablespace(t.names[2]) }
        case "comment":
            if w.count > 3, w[1] == "on", w[2] == "role" { return .role(t.names[3]) }
            if w.count > 3, w[1] == "on", w[2] == "tablespace" { return .tablespace(t.names[3]) }
        case "security":
            if let on = w.firstIndex(of: "on"), on + 2 < w.count, w[on + 1] == "role" { return .role(t.names[on + 2]) }
        case "grant", "revoke":
            guard let to = w.firstIndex(where: { $0 == "to" || $0 == "from" }) else { throw unsupported() }
            if let on = w.firstIndex(of: "on"), on < to, on + 2 < w.count {
                if w[on + 1] == "tablespace" { return .tablespace(t.names[on + 2]) }
                if w[on + 1] == "parameter" && first == "grant" { return .parameterGrant(grantees: t.list(after: to)) }
                throw unsupported()
            }
            // `GRANT role TO member [WITH ADMIN OPTION] [GRANTED BY grantor]`, one pair per statement.
            if first == "grant", to == 2, to + 1 < w.count { return .membership(role: t.names[1], member: t.names[to + 1]) }
        default:
            break
        }
        throw unsupported()
    }
}
