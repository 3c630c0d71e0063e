import Foundation

/// The values `${...}` references resolve against at one point of a run (or plan).
public struct Scope: Sendable {
    public var params: [String: Value]
    /// Secret names that are declared; their values never enter a Scope.
    public var secretNames: Set<String>
    public var stepOutputs: [String: [String: Value]]
    public var runID: String
    public var startedAt: Date
    public var stateDir: String
    public var loop: [String: Value]
    /// The profile's group targets and their members, for `${targets.NAME.members}`.
    public var groupMembers: [String: [String]] = [:]
    /// In a plan, outputs of steps that have not run yet render as `<steps.x.outputs.y>`.
    public var placeholdersForMissingOutputs: Bool

    public init(params: [String: Value], secretNames: Set<String>, stepOutputs: [String: [String: Value]] = [:],
                runID: String, startedAt: Date, stateDir: String, loop: [String: Value] = [:],
                placeholdersForMissingOutputs: Bool = false) {
        self.params = params
        self.secretNames = secretNames
        self.stepOutputs = stepOutputs
        self.runID = runID
        self.startedAt = startedAt
        self.stateDir = stateDir
        self.loop = loop
        self.placeholdersForMissingOutputs = placeholdersForMissingOutputs
    }

    public func with(loopVariable name: String, value: Value) -> Scope {
        var copy = self
        copy.loop[name] = value
        return copy
    }
}

public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var location: SourceLocation?
    public init(_ message: String, at location: SourceLocation?) {
        self.message = message
        self.location = location
    }
    public var description: String {
        (location.map { "\($0): " } ?? "") + message
    }
}

/// Resolves templates and YAML values against a Scope.
public struct Evaluator: Sendable {
    public var scope: Scope

    public init(scope: Scope) { self.scope = scope }

    /// A YAML value with every `${...}` resolved. A string that is exactly one
    /// reference takes the referenced value's type (so `${params.dbs}` stays a list).
    public func value(_ node: YNode) throws -> Value {
        switch node.kind {
        case .scalar(let text, let quoted):
            if node.isNull { return .null }
            if !text.contains("${") {
                if !quoted {
                    if let i = Int(text) { return .int(i) }
                    if text == "true" { return .bool(true) }
                    if text == "false" { return .bool(false) }
                }
                return .string(text.replacingOccurrences(of: "$${", with: "${"))
            }
            return try string(Templated(text, at: node.location), keepTypes: true)
        case .sequence(let items):
            return .list(try items.map(value))
        case .mapping(let pairs):
            var m: [String: Value] = [:]
            for p in pairs { m[p.key] = try value(p.value) }
            return .map(m)
        }
    }

    public func string(_ t: Templated) throws -> String {
        let v = try string(t, keepTypes: false)
        if case .secret = v {
            throw EvaluationError("a secret cannot be used in text; pass it through env", at: t.location)
        }
        return v.description
    }

    private func string(_ t: Templated, keepTypes: Bool) throws -> Value {
        let template: Template
        switch Template.parse(t.text) {
        case .success(let parsed): template = parsed
        case .failure(let e): throw EvaluationError(e.message, at: t.location)
        }
        if keepTypes, let ref = template.singleReference {
            return try resolve(ref, at: t.location)
        }
        var out = ""
        for part in template.parts {
            switch part {
            case .literal(let s): out += s
            case .reference(let ref, let format, _, _):
                let v = try resolve(ref, at: t.location)
                if case .secret = v {
                    throw EvaluationError("${\(ref)} is a secret and cannot be embedded in text; pass it as a whole value through env", at: t.location)
                }
                if let format {
                    out += try Self.formatTime(v, format: format, at: t.location)
                } else {
                    out += v.description
                }
            }
        }
        return .string(out)
    }

    public func resolve(_ ref: Reference, at location: SourceLocation?) throws -> Value {
        switch ref {
        case .param(let name):
            guard let v = scope.params[name] else { throw EvaluationError("undefined param \"\(name)\"", at: location) }
            return v
        case .secret(let name):
            guard scope.secretNames.contains(name) else { throw EvaluationError("undefined secret \"\(name)\"", at: location) }
            return .secret(name)
        case .stepOutput(let step, let output):
            if let v = scope.stepOutputs[step]?[output] { return v }
            if scope.placeholdersForMissingOutputs { return .string("<steps.\(step).outputs.\(output)>") }
            throw EvaluationError("step \"\(step)\" has no output \"\(output)\" (has it run?)", at: location)
        case .run(let field):
            switch field {
            case "id": return .string(scope.runID)
            case "started_at": return .string(Self.iso8601(scope.startedAt))
            case "state_dir": return .string(scope.stateDir)
            default: throw EvaluationError("unknown run field \"\(field)\"; valid: \(Reference.runFields.joined(separator: ", "))", at: location)
            }
        case .loop(let name):
            guard let v = scope.loop[name] else { throw EvaluationError("\"${\(name)}\" is not a loop variable here", at: location) }
            return v
        case .groupMembers(let name):
            guard let members = scope.groupMembers[name] else {
                let groups = scope.groupMembers.keys.sorted()
                throw EvaluationError("the profile has no group \"\(name)\"\(Suggestions.didYouMean(name, in: groups)); groups: \(groups.isEmpty ? "none" : groups.joined(separator: ", "))", at: location)
            }
            return .list(members.map { .string($0) })
        }
    }

    /// `when:` conditions: `${params.x}` (truthy), `A == B`, `A != B`.
    public func condition(_ t: Templated) throws -> Bool {
        for op in ["==", "!="] {
            if let r = t.text.range(of: op) {
                let lhs = try string(Templated(String(t.text[..<r.lowerBound]), at: t.location)).trimmingCharacters(in: .whitespaces)
                let rhs = try string(Templated(String(t.text[r.upperBound...]), at: t.location)).trimmingCharacters(in: .whitespaces)
                let strip: (String) -> String = { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
                return (strip(lhs) == strip(rhs)) == (op == "==")
            }
        }
        let v = try string(t).trimmingCharacters(in: .whitespaces).lowercased()
        return !(v.isEmpty || v == "false" || v == "0" || v == "no")
    }

    static func iso8601(_ date: Date) -> String {
        UTCTimestampText.format(date, milliseconds: false)
    }

    /// strftime-style formatting in UTC of a timestamp value.
    static func formatTime(_ v: Value, format: String, at location: SourceLocation?) throws -> String {
        guard let date = Timestamp.parse(v.description) else {
            throw EvaluationError("\"\(v)\" is not a timestamp; a time format needs one", at: location)
        }
        var t = time_t(date.timeIntervalSince1970)
        var tmValue = tm()
        gmtime_r(&t, &tmValue)
        var buffer = [Int8](repeating: 0, count: 256)
        let n = strftime(&buffer, buffer.count, format, &tmValue)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Timestamps as written by people: ISO 8601, or `2024-01-15 14:30:00 UTC`.
public enum Timestamp {
    public static func parse(_ text: String) -> Date? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let d = UTCTimestampText.parse(s) { return d }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: s) { return d }
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: s) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm:ss 'UTC'", "yyyy-MM-dd HH:mm:ssXXXXX", "yyyy-MM-dd HH:mm:ss.SSSXXXXX",
                       "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"] {
            f.dateFormat = format
            if let d = f.date(from: s) { return d }
        }
        return nil
    }
}
