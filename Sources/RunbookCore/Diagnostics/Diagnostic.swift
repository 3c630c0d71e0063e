import Foundation

/// A position in a source file. Lines and columns are 1-based, as editors count them.
public struct SourceLocation: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

public enum Severity: String, Codable, Sendable, Comparable {
    case error, warning, note

    private var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// The one diagnostic type: every loader, rule and command reports through it.
public struct Diagnostic: Hashable, Codable, Sendable, CustomStringConvertible {
    public var severity: Severity
    /// The rule's stable id (a `RuleID`'s raw value), shown in brackets; tests and `--format json` key on it.
    public var rule: String
    public var message: String
    public var location: SourceLocation?
    /// How many characters the caret underline spans (the bad token), at least 1.
    public var length: Int
    public var notes: [String]

    /// A diagnostic of a registered rule: code cannot report an id that `RuleID` does not list.
    public init(_ severity: Severity = .error, rule: RuleID, message: String,
                at location: SourceLocation?, length: Int = 1, notes: [String] = []) {
        self.severity = severity
        self.rule = rule.rawValue
        self.message = message
        self.location = location
        self.length = max(1, length)
        self.notes = notes
    }

    public static func error(_ rule: RuleID, _ message: String, at location: SourceLocation?,
                             length: Int = 1, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, rule: rule, message: message, at: location, length: length, notes: notes)
    }

    public static func warning(_ rule: RuleID, _ message: String, at location: SourceLocation?,
                               length: Int = 1, notes: [String] = []) -> Diagnostic {
        Diagnostic(.warning, rule: rule, message: message, at: location, length: length, notes: notes)
    }

    /// `file:line:col: error: message [rule]`
    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return "\(prefix)\(severity.rawValue): \(message) [\(rule)]"
    }
}

extension Array where Element == Diagnostic {
    /// Sorted by file, line, column, then rule, so output is stable for golden files.
    public func sortedForOutput() -> [Diagnostic] {
        sorted { a, b in
            switch (a.location, b.location) {
            case let (x?, y?) where x != y: return x < y
            case (nil, _?): return true
            case (_?, nil): return false
            default: return (a.rule, a.message) < (b.rule, b.message)
            }
        }
    }

    public var hasErrors: Bool { contains { $0.severity == .error } }
}
