import Foundation

/// Checks a value as written in YAML against an input's declared type. Literals are
/// checked fully; values with `${...}` only for shape, since their content is known
/// at run time (a list param cannot feed a single-value input, text cannot be a mapping).
enum LiteralCheck {
    struct Problem {
        var node: YNode
        /// Completes "input X of Y must be ...".
        var expectation: String
        var notes: [String] = []
    }

    static func problems(_ node: YNode, _ type: InputType, runbook: Runbook) -> [Problem] {
        if node.isNull { return [] }
        if let text = node.scalar, text.utf8.containsReferenceStart {
            return templateShape(node, text, type, runbook: runbook)
        }
        switch type {
        case .value:
            return []
        case .secret:
            return [Problem(node: node, expectation: "a secret, written ${secrets.NAME}, got \(Notes.quote(node))")]
        case .string, .path, .sql, .shell:
            return node.scalar == nil ? [Problem(node: node, expectation: "a single \(type) value, got \(node.kindName)")] : []
        case .target(let kind):
            return node.scalar == nil ? [Problem(node: node, expectation: "the name of a \(kind.rawValue) target, got \(node.kindName)")] : []
        case .int:
            guard let s = node.scalar, Int(s.trimmingCharacters(in: .whitespaces)) != nil else {
                return [Problem(node: node, expectation: "an integer, got \(Notes.quote(node))")]
            }
            return []
        case .bool:
            guard let s = node.scalar, Value.string(s).boolValue != nil else {
                return [Problem(node: node, expectation: "true or false, got \(Notes.quote(node))")]
            }
            return []
        case .duration:
            guard let s = node.scalar, Duration.parseSeconds(s) != nil else {
                return [Problem(node: node, expectation: "a duration like 30s, 5m or 1h30m, got \(Notes.quote(node))")]
            }
            return []
        case .identifier:
            guard let s = node.scalar, Identifier.isValid(s) else {
                return [Problem(node: node, expectation: "an identifier (letters, digits and _, not starting with a digit, at most 63 bytes), got \(Notes.quote(node))")]
            }
            return []
        case .oneOf(let options):
            guard let s = node.scalar, options.contains(s) else {
                let hint = node.scalar.map { Suggestions.didYouMean($0, in: options) } ?? ""
                return [Problem(node: node, expectation: "one of \(options.joined(separator: ", ")); got \(Notes.quote(node))\(hint)")]
            }
            return []
        case .list(let inner):
            switch node.kind {
            case .sequence(let items): return items.flatMap { problems($0, inner, runbook: runbook) }
            case .scalar: return problems(node, inner, runbook: runbook)
            case .mapping: return [Problem(node: node, expectation: "a list of \(inner), got a mapping")]
            }
        case .map(let inner):
            guard let pairs = node.mapping else {
                return [Problem(node: node, expectation: "a mapping of NAME: \(inner), got \(Notes.quote(node))")]
            }
            return pairs.flatMap { problems($0.value, inner, runbook: runbook) }
        }
    }

    private static func templateShape(_ node: YNode, _ text: String, _ type: InputType, runbook: Runbook) -> [Problem] {
        guard case .success(let template) = Template.parse(text) else { return [] }
        guard let ref = template.singleReference else {
            if case .map = type { return [Problem(node: node, expectation: "a mapping of NAME: value, got text \(Notes.quote(node))")] }
            return []
        }
        guard case .param(let name) = ref, let decl = runbook.param(name) else { return [] }
        switch type {
        case .list, .value:
            return []
        case .map:
            return [Problem(node: node, expectation: "a mapping, but params.\(name) has type \(decl.type)")]
        default:
            guard decl.type.isList else { return [] }
            return [Problem(node: node, expectation: "a single \(type) value, but params.\(name) has type \(decl.type)",
                            notes: ["to run once per item, use for_each: \"${params.\(name)}\" with as: NAME and pass \"${NAME}\""])]
        }
    }
}
