import Foundation

/// Binds `--param k=v` strings and declared defaults into typed values, checking
/// type, allowed values and pattern. Problems are diagnostics: nothing runs with a bad param.
public enum ParamBinder {
    public static func bind(_ runbook: Runbook, given: [String: String]) -> ([String: Value], [Diagnostic]) {
        let cli = SourceLocation(file: "<command line>", line: 1, column: 1)
        return bind(runbook, names: Array(given.keys), at: cli, label: { "--param \($0)" },
                    howToPass: { "pass --param \($0)=..." }) { decl in given[decl.name].map { coerce($0, to: decl) } }
    }

    /// Binds the values a `runbook.run` call passes, as values: a list stays a list (an item
    /// holding a comma stays one item), an int an int. `nil` values count as not given.
    public static func bind(_ runbook: Runbook, values given: [String: Value], at location: SourceLocation) -> ([String: Value], [Diagnostic]) {
        let present = given.filter { $0.value != .null }
        return bind(runbook, names: Array(present.keys), at: location, label: { "param \"\($0)\" of runbook \"\(runbook.name)\"" },
                    howToPass: { "pass it in params: {\($0): ...}" }) { decl in present[decl.name].map { coerce(value: $0, to: decl) } }
    }

    private static func bind(_ runbook: Runbook, names: [String], at location: SourceLocation, label: (String) -> String,
                             howToPass: (String) -> String,
                             given: (ParamDecl) -> Result<Value, CoercionError>?) -> ([String: Value], [Diagnostic]) {
        var values: [String: Value] = [:]
        var diags: [Diagnostic] = []
        for key in names.sorted() where runbook.param(key) == nil {
            diags.append(.error(.unknownParam, "runbook \"\(runbook.name)\" has no param \"\(key)\"\(Suggestions.didYouMean(key, in: runbook.params.map(\.name)))",
                                at: location, notes: ["params: " + runbook.params.map(\.name).joined(separator: ", ")]))
        }
        for decl in runbook.params {
            if let result = given(decl) {
                switch result {
                case .success(let v): values[decl.name] = v
                case .failure(let e): diags.append(.error(.paramValue, "\(label(decl.name)): \(e.message)", at: location))
                }
            } else if let def = decl.defaultValue {
                switch coerce(def, to: decl) {
                case .success(let v): values[decl.name] = v
                case .failure(let e): diags.append(.error(.paramValue, "default of param \"\(decl.name)\": \(e.message)", at: def.location))
                }
            } else if decl.required {
                diags.append(.error(.missingParam, "param \"\(decl.name)\" is required; \(howToPass(decl.name))", at: location))
            } else {
                values[decl.name] = .null
            }
        }
        return (values, diags)
    }

    /// A value passed by a `runbook.run` call. A single value for a list param is a list of one.
    public static func coerce(value: Value, to decl: ParamDecl) -> Result<Value, CoercionError> {
        func scalar(_ v: Value, _ type: ParamType) -> Result<Value, CoercionError> {
            // Plans and docs stand in `<name>` for values only a run knows; they are shown, never run.
            if case .string(let s) = v, s.hasPrefix("<"), s.hasSuffix(">") { return .success(v) }
            switch v {
            case .list, .map: return .failure(CoercionError(message: "expected \(type), got a \(v.listValue != nil ? "list" : "mapping")"))
            case .secret: return .failure(CoercionError(message: "a secret cannot be passed as a param; the called runbook declares its own secrets"))
            default: return coerceScalar(v.description, type: type, decl: decl)
            }
        }
        guard case .list(let inner) = decl.type else { return scalar(value, decl.type) }
        var out: [Value] = []
        for item in value.listValue ?? [value] {
            switch scalar(item, inner) {
            case .success(let v): out.append(v)
            case .failure(let e): return .failure(e)
            }
        }
        return .success(.list(out))
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
