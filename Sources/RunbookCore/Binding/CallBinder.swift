import Foundation

/// Turns an `ActionCall` as written into a `ResolvedCall`: templates evaluated,
/// defaults applied, types checked, target names bound through the profile.
/// The planner and the interpreter both call this, so a plan shows what a run does.
public struct CallBinder: Sendable {
    public var catalog: ActionCatalog
    public var profile: Profile?

    public init(catalog: ActionCatalog, profile: Profile?) {
        self.catalog = catalog
        self.profile = profile
    }

    public func bind(_ call: ActionCall, stepID: String, evaluator: Evaluator) throws -> (any ActionDefinition, ResolvedCall) {
        guard let definition = catalog.definition(call.name) else {
            throw EvaluationError("unknown action \"\(call.name)\"", at: call.nameLocation)
        }
        let spec = definition.spec
        var inputs: [String: Value] = [:]
        var targets: [String: TargetDecl] = [:]
        var shellVariables: [String: String] = [:]
        for pair in call.inputs {
            guard let inputSpec = spec.input(pair.key) else {
                throw EvaluationError("\(spec.name) has no input \"\(pair.key)\"", at: pair.keyLocation)
            }
            if inputSpec.type == .shell, pair.value.scalar != nil, !pair.value.isNull {
                // Values travel in the environment; the text only expands them (see ShellText).
                let shell = try ShellText.bind(Templated(pair.value), evaluator: evaluator)
                inputs[pair.key] = .string(shell.text)
                shellVariables.merge(shell.variables) { first, _ in first }
                continue
            }
            let v = try evaluator.value(pair.value)
            inputs[pair.key] = try Self.check(v, inputSpec, at: pair.value.location)
        }
        for inputSpec in spec.inputs where inputs[inputSpec.name] == nil || inputs[inputSpec.name] == .null {
            if let d = inputSpec.defaultValue {
                inputs[inputSpec.name] = d
            } else if inputSpec.required {
                throw EvaluationError("\(spec.name) needs input \"\(inputSpec.name)\"", at: call.location)
            }
        }
        for inputSpec in spec.inputs {
            guard case .target(let kind) = inputSpec.type, let name = inputs[inputSpec.name]?.stringValue else { continue }
            guard let profile else {
                throw EvaluationError("target \"\(name)\" needs a profile (--profile NAME|FILE)", at: call.location)
            }
            guard let decl = profile.target(name) else {
                throw EvaluationError("profile \"\(profile.name)\" has no target \"\(name)\"\(Suggestions.didYouMean(name, in: profile.targets.map(\.name)))",
                                      at: call.input(inputSpec.name)?.location ?? call.location)
            }
            guard decl.binding.kind == kind else {
                throw EvaluationError("target \"\(name)\" is a \(decl.binding.kind.rawValue) target; \(spec.name) needs a \(kind.rawValue) target",
                                      at: call.input(inputSpec.name)?.location ?? call.location)
            }
            targets[inputSpec.name] = decl
        }
        var resolved = ResolvedCall(spec: spec, stepID: stepID, inputs: inputs, targets: targets)
        resolved.shellVariables = shellVariables
        return (definition, resolved)
    }

    /// Run-time type check of a resolved value (validation catches literals earlier).
    static func check(_ v: Value, _ spec: InputSpec, at location: SourceLocation) throws -> Value {
        if case .null = v { return v }
        // Plans and docs stand in `<name>` for values only a run knows (step outputs,
        // required params in docs); they are shown, never executed.
        if case .string(let s) = v, s.hasPrefix("<"), s.hasSuffix(">") { return v }
        if case .secret = v {
            if case .map = spec.type { return v }
            if case .secret = spec.type { return v }
            throw EvaluationError("input \"\(spec.name)\" cannot take a secret: it would reach a command line; pass secrets through env", at: location)
        }
        func fail(_ expected: String) -> EvaluationError {
            EvaluationError("input \"\(spec.name)\" must be \(expected), got \"\(v)\"", at: location)
        }
        switch spec.type {
        case .int:
            guard let i = v.intValue else { throw fail("an integer") }
            return .int(i)
        case .bool:
            guard let b = v.boolValue else { throw fail("true or false") }
            return .bool(b)
        case .duration:
            guard Duration.parseSeconds(v.description) != nil else { throw fail("a duration like 30s or 5m") }
            return .string(v.description)
        case .identifier:
            guard Identifier.isValid(v.description) else { throw fail("an identifier") }
            return .string(v.description)
        case .oneOf(let options):
            guard options.contains(v.description) else { throw fail("one of \(options.joined(separator: ", "))") }
            return .string(v.description)
        case .list(let inner):
            let items = v.listValue ?? [v]
            return .list(try items.map { try check($0, InputSpec(spec.name, inner, spec.summary), at: location) })
        case .map:
            guard v.mapValue != nil else { throw fail("a mapping") }
            return v
        case .value:
            return v
        case .secret:
            throw fail("a secret, written ${secrets.NAME}")
        case .string, .path, .sql, .shell, .target:
            if v.listValue != nil || v.mapValue != nil { throw fail("a single value") }
            return .string(v.description)
        }
    }
}
