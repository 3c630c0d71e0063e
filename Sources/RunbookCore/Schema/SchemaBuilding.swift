import Foundation

/// Small JSON Schema 2020-12 vocabulary shared by the runbook and profile schemas.
enum S {
    static let dialect = "https://json-schema.org/draft/2020-12/schema"

    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/$defs/\(name)")] }
    static func described(_ schema: JSONValue, _ description: String?) -> JSONValue {
        guard let description, !description.isEmpty, case .object(var m) = schema else { return schema }
        m["description"] = .string(description)
        return .object(m)
    }
    static let string: JSONValue = ["type": "string"]
    /// What YAML people write for a text value: quoted or not, `5432` and `true` are text too.
    static let scalar: JSONValue = ["type": ["string", "number", "boolean"]]
    static let stringList: JSONValue = ["type": "array", "items": scalar]
    static func enumeration(_ values: [String]) -> JSONValue { ["enum": .array(values.map { .string($0) })] }
    static func anyOf(_ schemas: [JSONValue]) -> JSONValue { ["anyOf": .array(schemas)] }
    static func object(_ properties: [String: JSONValue], required: [String] = [], closed: Bool = true) -> JSONValue {
        var m: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { m["required"] = .array(required.sorted().map { .string($0) }) }
        if closed { m["additionalProperties"] = false }
        return .object(m)
    }

    /// A string holding at least one `${...}` reference; its value is known at run time.
    static let expressionName = "expression"
    static let expression: JSONValue = [
        "type": "string", "pattern": "\\$\\{",
        "description": "A value with ${...} references: ${params.NAME}, ${secrets.NAME}, ${steps.ID.outputs.NAME}, ${run.FIELD} or a loop variable.",
    ]
    /// `${secrets.NAME}`, the only way to name a credential in a profile.
    static let secretReference: JSONValue = [
        "type": "string", "pattern": "^\\$\\{secrets\\.[A-Za-z0-9_-]+\\}$",
        "description": "A secret reference, ${secrets.NAME}; secret values are never written in files.",
    ]

    /// ECMA-262 has no inline case-insensitivity: spell each letter as `[xX]`.
    static func caseInsensitive(_ words: [String]) -> String {
        let alternatives = words.map { word in
            word.map { c -> String in
                let l = String(c).lowercased(), u = String(c).uppercased()
                return l == u ? NSRegularExpression.escapedPattern(for: String(c)) : "[\(l)\(u)]"
            }.joined()
        }
        return "^(" + alternatives.joined(separator: "|") + ")$"
    }

    static let durationPattern = "^([0-9]+(\\.[0-9]*)?|([0-9.]+(ms|s|m|h|d))+)$"
    static let duration: JSONValue = anyOf([["type": "number", "minimum": 0], ["type": "string", "pattern": .string(durationPattern)]])
    static let boolean: JSONValue = anyOf([["type": "boolean"], ["type": "string", "pattern": .string(caseInsensitive(["true", "false", "yes", "no", "on", "off"]))]])

    static func render(_ schema: JSONValue) -> String { schema.pretty + "\n" }
}

extension InputType {
    /// The JSON Schema accepting what the validator accepts for this type as written
    /// in YAML; references (`${...}`) are accepted wherever a scalar is.
    var jsonSchema: JSONValue {
        let expr = S.ref(S.expressionName)
        switch self {
        case .string, .path, .sql, .shell:
            return S.scalar
        case .target(let kind):
            return S.described(S.string, "The name of a \(kind.rawValue) target listed in requires: and bound by the profile.")
        case .int:
            return S.anyOf([["type": "integer"], ["type": "string", "pattern": "^ *[-+]?[0-9]+ *$"], expr])
        case .bool:
            return S.anyOf([["type": "boolean"], ["type": "string", "pattern": .string(S.caseInsensitive(["true", "false", "yes", "no", "on", "off"]))], expr])
        case .duration:
            return S.anyOf([["type": "number", "minimum": 0], ["type": "string", "pattern": .string(S.durationPattern)], expr])
        case .identifier:
            return S.anyOf([["type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 63], expr])
        case .oneOf(let values):
            return S.anyOf([S.enumeration(values), expr])
        case .list(let inner):
            return S.anyOf([["type": "array", "items": inner.jsonSchema], inner.jsonSchema])
        case .map(let inner):
            return ["type": "object", "additionalProperties": inner.jsonSchema]
        case .value:
            return [:]
        case .secret:
            return S.described(expr, "A secret, written ${secrets.NAME}.")
        }
    }
}

extension InputSpec {
    /// Shown by editors on hover: the summary, the type and the default.
    var schemaDescription: String {
        var s = summary
        s += s.hasSuffix(".") || s.isEmpty ? "" : "."
        s += " Type: \(type)."
        if required && defaultValue == nil { s += " Required." }
        if let d = defaultValue { s += " Default: \(d.json.compact)." }
        return s.trimmingCharacters(in: .whitespaces)
    }
}
