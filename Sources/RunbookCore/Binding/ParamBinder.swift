import Foundation

/// Binds `--param k=v` strings and declared defaults into typed values, checking
/// type, allowed values and pattern. Problems are diagnostics: nothing runs with a bad param.
public enum ParamBinder {
    public static func bind(_ runbook: Runbook, given: [String: String]) -> ([String: Value], [Diagnostic]) {
        var values: [String: Value] = [:]
        var diags: [Diagnostic] = []
        let cli = SourceLocation(file: "<command line>", line: 1, column: 1)
        for key in given.keys.sorted() where runbook.param(key) == nil {
            diags.append(.error("unknown-param", "runbook \"\(runbook.name)\" has no param \"\(key)\"\(Suggestions.didYouMean(key, in: runbook.params.map(\.name)))",
                                at: cli, notes: ["params: " + runbook.params.map(\.name).joined(separator: ", ")]))
        }
        for decl in runbook.params {
            if let raw = given[decl.name] {
                switch coerce(raw, to: decl) {
                case .success(let v): values[decl.name] = v
                case .failure(let e): diags.append(.error("param-value", "--param \(decl.name): \(e.message)", at: cli))
                }
            } else if let def = decl.defaultValue {
                switch coerce(def, to: decl) {
                case .success(let v): values[decl.name] = v
                case .failure(let e): diags.append(.error("param-value", "default of param \"\(decl.name)\": \(e.message)", at: def.location))
                }
            } else if decl.required {
                diags.append(.error("missing-param", "param \"\(decl.name)\" is required; pass --param \(decl.name)=...", at: cli))
            } else {
                values[decl.name] = .null
            }
        }
        return (values, diags)
    }

    /// Values one runbook passes another (`runbook.run`'s params) as `bind` takes them:
    /// text, with a list's items joined by commas, as on a command line.
    public static func given(_ values: [String: Value]) -> [String: String] {
        values.mapValues { value in
            if case .list(let items) = value { return items.map(\.description).joined(separator: ",") }
            return value.description
        }
    }

    public struct CoercionError: Error { public var message: String }

    /// A default written in YAML (a scalar or a list).
    public static func coerce(_ node: YNode, to decl: ParamDecl) -> Result<Value, CoercionError> {
        if case .list(let inner) = decl.type {
            guard let items = node.sequence else {
                if let s = node.scalar { return coerce(s, to: decl) }
                return .failure(CoercionError(message: "expected a list, got \(node.kindName)"))
            }
            var out: [Value] = []
            for item in items {
                guard let s = item.scalar else { return .failure(CoercionError(message: "list items must be scalars")) }
                switch coerceScalar(s, type: inner, decl: decl) {
                case .success(let v): out.append(v)
                case .failure(let e): return .failure(e)
                }
            }
            return .success(.list(out))
        }
        guard let s = node.scalar else { return .failure(CoercionError(message: "expected \(decl.type), got \(node.kindName)")) }
        return coerce(s, to: decl)
    }

    /// A value from the command line; lists are comma-separated.
    public static func coerce(_ raw: String, to decl: ParamDecl) -> Result<Value, CoercionError> {
        if case .list(let inner) = decl.type {
            var out: [Value] = []
            for part in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
                switch coerceScalar(part, type: inner, decl: decl) {
                case .success(let v): out.append(v)
                case .failure(let e): return .failure(e)
                }
            }
            return .success(.list(out))
        }
        return coerceScalar(raw, type: decl.type, decl: decl)
    }

    static func coerceScalar(_ s: String, type: ParamType, decl: ParamDecl) -> Result<Value, CoercionError> {
        if !decl.allowed.isEmpty && !decl.allowed.contains(s) {
            return .failure(CoercionError(message: "\"\(s)\" is not allowed; valid values: \(decl.allowed.joined(separator: ", "))"))
        }
        if let pattern = decl.pattern {
            guard let re = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else {
                return .failure(CoercionError(message: "pattern \"\(pattern)\" is not a valid regular expression"))
            }
            if re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) == nil {
                return .failure(CoercionError(message: "\"\(s)\" does not match pattern \(pattern)"))
            }
        }
        switch type {
        case .string, .path: return .success(.string(s))
        case .int:
            guard let i = Int(s) else { return .failure(CoercionError(message: "\"\(s)\" is not an integer")) }
            return .success(.int(i))
        case .bool:
            guard let b = Value.string(s).boolValue else { return .failure(CoercionError(message: "\"\(s)\" is not true or false")) }
            return .success(.bool(b))
        case .duration:
            guard Duration.parseSeconds(s) != nil else { return .failure(CoercionError(message: "\"\(s)\" is not a duration like 30s, 5m, 1h")) }
            return .success(.string(s))
        case .identifier:
            guard Identifier.isValid(s) else {
                return .failure(CoercionError(message: "\"\(s)\" is not an identifier (letters, digits and _, not starting with a digit, at most 63 characters)"))
            }
            return .success(.string(s))
        case .timestamp:
            guard Timestamp.parse(s) != nil else {
                return .failure(CoercionError(message: "\"\(s)\" is not a timestamp like 2024-01-15T14:30:00Z or \"2024-01-15 14:30:00 UTC\""))
            }
            return .success(.string(s))
        case .list:
            return .failure(CoercionError(message: "nested lists are not supported"))
        }
    }
}

public enum Identifier {
    /// PostgreSQL-safe unquoted identifier: what we allow for database names.
    public static func isValid(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.utf8.count <= 63 else { return false }
        let letters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
        let rest = letters.union(CharacterSet(charactersIn: "0123456789"))
        return letters.contains(first) && s.unicodeScalars.allSatisfy { rest.contains($0) }
    }
}
