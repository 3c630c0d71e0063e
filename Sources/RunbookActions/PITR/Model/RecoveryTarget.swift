import Foundation
import RunbookCore

/// Where archive recovery stops. Exactly one is given; PostgreSQL refuses
/// several ("multiple recovery targets specified"), and so do we, before anything runs.
public enum RecoveryTarget: Sendable, Hashable, CustomStringConvertible {
    /// Stop before the first transaction that committed after this time (inclusive: commits *at* it are kept).
    case time(Instant)
    case lsn(LSN)
    /// A restore point made with `pg_create_restore_point(name)`.
    case name(String)
    /// Stop as soon as the base backup is consistent.
    case immediate
    /// No target: replay everything the archive holds (the disaster case: the server's disk is lost).
    case latest

    /// The action inputs that carry a target; every action that needs one declares all four.
    public static let inputs: [InputSpec] = [
        InputSpec("target_time", .string, "Recover up to this time: `2024-01-15 14:30:00+00` (no zone means UTC). Transactions committed after it are not replayed."),
        InputSpec("target_lsn", .string, "Alternative: recover up to this WAL location (`0/3000060`)."),
        InputSpec("target_name", .string, "Alternative: recover up to this restore point (`pg_create_restore_point`)."),
        InputSpec("target_immediate", .bool, default: .bool(false), "Alternative: stop as soon as the base backup is consistent."),
        InputSpec("target_latest", .bool, default: .bool(false), "Alternative: replay all the archive holds (after losing the server's disk)."),
    ]

    /// The target a call names, or a clear error when it names none, several, or a malformed one.
    public static func from(_ call: ResolvedCall) throws -> RecoveryTarget {
        var found: [RecoveryTarget] = []
        if let text = call.optionalString("target_time"), !text.isEmpty {
            guard let instant = Instant.parse(text) else {
                throw ActionInputError.invalid("target_time", "\"\(text)\" is not a time like 2024-01-15 14:30:00+00 or 2024-01-15T14:30:00.5Z")
            }
            found.append(.time(instant))
        }
        if let text = call.optionalString("target_lsn"), !text.isEmpty {
            guard let lsn = LSN(text) else {
                throw ActionInputError.invalid("target_lsn", "\"\(text)\" is not a WAL location like 0/3000060")
            }
            found.append(.lsn(lsn))
        }
        if let text = call.optionalString("target_name"), !text.isEmpty {
            guard text.utf8.count < 64 else { throw ActionInputError.invalid("target_name", "restore point names are at most 63 bytes") }
            found.append(.name(text))
        }
        if call.has("target_immediate"), try call.bool("target_immediate") { found.append(.immediate) }
        if call.has("target_latest"), try call.bool("target_latest") { found.append(.latest) }
        guard let first = found.first else {
            throw ActionInputError.invalid("target_time", "give one recovery target: target_time, target_lsn, target_name, target_immediate: true or target_latest: true")
        }
        guard found.count == 1 else {
            throw ActionInputError.invalid("target_time", "give only one recovery target; got " + found.map(\.kind).joined(separator: " and "))
        }
        return first
    }

    public var kind: String {
        switch self {
        case .time: return "target_time"
        case .lsn: return "target_lsn"
        case .name: return "target_name"
        case .immediate: return "target_immediate"
        case .latest: return "target_latest"
        }
    }

    public var description: String {
        switch self {
        case .time(let t): return "time \(t.postgresText)"
        case .lsn(let l): return "LSN \(l)"
        case .name(let n): return "restore point \"\(n)\""
        case .immediate: return "the end of the base backup (immediate)"
        case .latest: return "the end of the archive"
        }
    }

    /// Whether a call names any target at all (checks that only sometimes need one).
    public static func given(_ call: ResolvedCall) -> Bool {
        ["target_time", "target_lsn", "target_name"].contains { !(call.optionalString($0) ?? "").isEmpty }
            || ((try? call.bool("target_immediate")) ?? false) || ((try? call.bool("target_latest")) ?? false)
    }

    /// The recovery settings for postgresql.auto.conf. Every `recovery_target*` setting is
    /// written, so a target left in postgresql.conf or by an earlier recovery cannot combine
    /// with this one: PostgreSQL applies only the last occurrence of a setting. The unused ones
    /// are emptied *before* the chosen one, because PostgreSQL's assign hooks refuse any
    /// recovery_target* setting, even an empty one, once another is set ("multiple recovery
    /// targets specified"). `recovery_target_timeline = 'current'` keeps recovery on the base
    /// backup's timeline: an abandoned timeline (left in the archive by a recovery that was
    /// rolled back) must not be followed.
    public func settings(restoreCommand: String) -> [(String, String)] {
        let chosen: (String, String)?
        switch self {
        case .time(let t): chosen = ("recovery_target_time", t.postgresText)
        case .lsn(let l): chosen = ("recovery_target_lsn", l.description)
        case .name(let n): chosen = ("recovery_target_name", n)
        case .immediate: chosen = ("recovery_target", "immediate")
        case .latest: chosen = nil
        }
        let targets = ["recovery_target", "recovery_target_lsn", "recovery_target_name", "recovery_target_time", "recovery_target_xid"]
        return [("restore_command", restoreCommand)]
            + targets.filter { $0 != chosen?.0 }.map { ($0, "") }
            + (chosen.map { [$0] } ?? [])
            + [("recovery_target_inclusive", "on"), ("recovery_target_timeline", "current"), ("recovery_target_action", "promote")]
    }

    /// The settings as postgresql.auto.conf lines (values as SQL string literals).
    public func configText(restoreCommand: String, runID: String) -> String {
        var text = "# point-in-time recovery written by runbook (run \(runID.replacingOccurrences(of: "\n", with: " ")))\n"
        for (key, value) in settings(restoreCommand: restoreCommand) {
            text += "\(key) = \(SQLText.literal(value))\n"
        }
        return text
    }
}
