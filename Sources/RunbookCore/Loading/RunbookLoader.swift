import Crypto
import Foundation

/// Turns a `YAMLDocument` into a `Runbook`, reporting structural problems
/// (unknown keys, wrong shapes) as it goes. Semantic checks (references, inputs,
/// duplicates) are `Rule`s that run on the result.
public enum RunbookLoader {
    public static let topLevelKeys = RunbookFormat.runbook.map(\.name)
    public static let stepKeys = RunbookFormat.step.map(\.name)
    public static let paramKeys = RunbookFormat.param.map(\.name)
    public static let secretKeys = RunbookFormat.secret.map(\.name)
    public static let rtoKeys = RunbookFormat.rto.map(\.name)
    static let retryKeys = RunbookFormat.retry.map(\.name)

    public struct Loaded: Sendable {
        public var document: YAMLDocument
        public var runbook: Runbook?
        public var diagnostics: [Diagnostic]
    }

    /// Loads `paths` on every core, results in the same order.
    public static func load(paths: [String]) -> [Loaded] {
        BatchValidation.parallelMap(paths.count) { load(path: paths[$0]) }
    }

    public static func load(path: String) -> Loaded {
        load(document: YAMLDocument.load(path: path))
    }

    public static func load(document: YAMLDocument) -> Loaded {
        guard let root = document.root else {
            return Loaded(document: document, runbook: nil, diagnostics: document.diagnostics)
        }
        var diags: [Diagnostic] = []
        guard var top = MappingReader(root, context: "runbook", diagnostics: &diags) else {
            return Loaded(document: document, runbook: nil, diagnostics: diags)
        }
        let file = document.path
        let nameNode = top.node("runbook")
        let name = top.string("runbook", required: true) ?? ""
        var runbook = Runbook(name: name, nameLocation: nameNode?.location ?? root.location, path: file,
                              digest: sha256Hex(document.bytes))
        runbook.summary = top.string("summary", required: true) ?? ""
        runbook.description = top.string("description")
        if let params = top.node("params") { runbook.params = loadParams(params, &diags) }
        if let secrets = top.node("secrets") { runbook.secrets = loadSecrets(secrets, &diags) }
        runbook.requires = top.stringList("requires") ?? []
        runbook.locks = top.stringList("locks") ?? []
        if let steps = top.node("steps") {
            runbook.steps = loadSteps(steps, context: "steps", &diags)
        } else {
            diags.append(.error(.missingKey, "runbook needs \"steps\"", at: root.location))
        }
        if let onFailure = top.node("on_failure") {
            runbook.onFailure = loadSteps(onFailure, context: "on_failure", &diags)
        }
        if let rto = top.node("rto") { runbook.rto = loadRTO(rto, &diags) }
        if let outputs = top.node("outputs") { runbook.outputs = loadOutputs(outputs, &diags) }
        top.finish(known: topLevelKeys)
        diags += top.diagnostics
        return Loaded(document: document, runbook: runbook, diagnostics: diags)
    }

    // MARK: - Sections

    static func loadParams(_ node: YNode, _ diags: inout [Diagnostic]) -> [ParamDecl] {
        guard let pairs = node.mapping else {
            diags.append(.error(.type, "\"params\" must be a mapping of name to declaration, got \(node.kindName)", at: node.location))
            return []
        }
        var out: [ParamDecl] = []
        for pair in pairs {
            guard var r = MappingReader(pair.value, context: "param \"\(pair.key)\"", diagnostics: &diags) else { continue }
            let typeNode = r.node("type")
            let typeName = r.string("type", required: true)
            var type = ParamType.string
            if let typeName {
                if let t = ParamType(name: typeName) {
                    type = t
                } else {
                    diags.append(.error(.paramType, "unknown param type \"\(typeName)\"\(Suggestions.didYouMean(typeName, in: ParamType.allNames))",
                                        at: typeNode?.location, length: typeName.count,
                                        notes: ["valid types: " + ParamType.allNames.joined(separator: ", ")]))
                }
            }
            var decl = ParamDecl(name: pair.key, type: type, location: pair.keyLocation)
            decl.defaultValue = r.node("default")
            decl.required = r.bool("required") ?? false
            decl.allowed = (r.stringList("allowed") ?? []).map(\.name)
            decl.pattern = r.string("pattern")
            decl.description = r.string("description")
            r.finish(known: paramKeys)
            diags += r.diagnostics
            out.append(decl)
        }
        return out
    }

    /// `outputs: {NAME: ${steps.ID.outputs.NAME}}`; what the references name is the `runbook-outputs` rule's job.
    static func loadOutputs(_ node: YNode, _ diags: inout [Diagnostic]) -> [OutputDecl] {
        guard let pairs = node.mapping else {
            diags.append(.error(.type, "\"outputs\" must be a mapping of name to ${steps.ID.outputs.NAME}, got \(node.kindName)", at: node.location))
            return []
        }
        return pairs.compactMap { pair in
            guard let text = pair.value.scalar, !pair.value.isNull else {
                diags.append(.error(.type, "output \"\(pair.key)\" must be a reference like ${steps.ID.outputs.NAME}, got \(pair.value.kindName)",
                                    at: pair.value.location))
                return nil
            }
            return OutputDecl(name: pair.key, location: pair.keyLocation,
                              value: Templated(text, at: pair.value.location, valueColumn: pair.value.valueColumn))
        }
    }

    static func loadSecrets(_ node: YNode, _ diags: inout [Diagnostic]) -> [SecretDecl] {
        guard let pairs = node.mapping else {
            diags.append(.error(.type, "\"secrets\" must be a mapping of name to source, got \(node.kindName)", at: node.location))
            return []
        }
        var out: [SecretDecl] = []
        for pair in pairs {
            guard var r = MappingReader(pair.value, context: "secret \"\(pair.key)\"", diagnostics: &diags) else { continue }
            var decl = SecretDecl(name: pair.key, location: pair.keyLocation)
            decl.env = r.string("env")
            decl.file = r.string("file")
            decl.description = r.string("description")
            if decl.env == nil && decl.file == nil {
                diags.append(.error(.secretSource, "secret \"\(pair.key)\" needs \"env\" or \"file\"; values are never written in runbooks",
                                    at: pair.keyLocation, length: pair.key.count))
            }
            r.finish(known: secretKeys)
            diags += r.diagnostics
            out.append(decl)
        }
        return out
    }

    /// `rto: {target: DURATION, until: STEP}`; whether `until` names a step is the `rto-step` rule's job.
    static func loadRTO(_ node: YNode, _ diags: inout [Diagnostic]) -> RTOObjective? {
        guard var r = MappingReader(node, context: "rto", diagnostics: &diags) else { return nil }
        defer {
            r.finish(known: rtoKeys)
            diags += r.diagnostics
        }
        let targetNode = r.node("target")
        let until = r.string("until").map { Named($0, at: r.node("until")?.location(atValueOffset: 0) ?? node.location) }
        guard let targetNode else {
            diags.append(.error(.missingKey, "rto needs \"target\", the recovery time objective (e.g. 4h)", at: node.location))
            return nil
        }
        guard let target = r.duration("target") else { return nil }
        guard target > 0 else {
            diags.append(.error(.range, "\"target\" must be more than 0, got \(MappingReader.quoteValue(targetNode))",
                                at: targetNode.location(atValueOffset: 0), length: targetNode.scalar?.count ?? 1))
            return nil
        }
        return RTOObjective(target: target, targetText: targetNode.scalar ?? "", until: until, location: node.location)
    }

    static func loadSteps(_ node: YNode, context: String, _ diags: inout [Diagnostic]) -> [Step] {
        guard let items = node.sequence else {
            diags.append(.error(.type, "\"\(context)\" must be a list of steps, got \(node.kindName)", at: node.location))
            return []
        }
        return items.compactMap { loadStep($0, &diags) }
    }

    static func loadStep(_ node: YNode, _ diags: inout [Diagnostic]) -> Step? {
        guard var r = MappingReader(node, context: "step", diagnostics: &diags) else { return nil }
        let idNode = r.node("id")
        let id = r.string("id", required: true) ?? ""
        var step = Step(id: id, idLocation: idNode?.location ?? node.location, location: node.location)
        step.keyLocations.reserveCapacity(r.pairs.count)
        for pair in r.pairs { step.keyLocations[pair.key] = pair.keyLocation }
        step.title = r.string("title")
        if let t = r.node("title"), let text = t.scalar, !t.isNull { step.titleSource = Templated(text, at: t.location, valueColumn: t.valueColumn) }
        if let actionNode = r.node("action") {
            if let name = actionNode.scalar, !actionNode.isNull {
                let with = r.node("with")
                step.action = ActionCall(name: name, nameLocation: actionNode.location,
                                         inputs: inputs(with, owner: "with", &diags), location: actionNode.location)
            } else {
                diags.append(.error(.type, "\"action\" must be an action name, got \(actionNode.kindName)", at: actionNode.location))
            }
        } else if let with = r.node("with") {
            diags.append(.error(.missingKey, "\"with\" given without \"action\"", at: with.location))
        }
        step.require = checks(r.node("require"), key: "require", &diags)
        step.verify = checks(r.node("verify"), key: "verify", &diags)
        if let rb = r.node("rollback") { step.rollback = rollback(rb, &diags) }
        step.confirm = r.templated("confirm")
        if let manual = r.node("manual") {
            if let items = manual.sequence {
                for item in items {
                    if item.scalar != nil, !item.isNull { step.manual.append(Templated(item)) }
                    else { diags.append(.error(.type, "manual items must be strings, got \(item.kindName)", at: item.location)) }
                }
            } else {
                diags.append(.error(.type, "\"manual\" must be a list of checklist items, got \(manual.kindName)", at: manual.location))
            }
        }
        step.forEach = r.node("for_each")
        step.loopVariable = r.string("as")
        step.parallel = r.int("parallel", min: 1) ?? 1
        step.timeout = r.duration("timeout")
        if let retryNode = r.node("retry"), var rr = MappingReader(retryNode, context: "retry", diagnostics: &diags) {
            step.retry = Step.Retry(attempts: rr.int("attempts", min: 1) ?? 1, delay: rr.duration("delay") ?? 0)
            rr.finish(known: retryKeys)
            diags += rr.diagnostics
        }
        if let policyNode = r.node("on_failure") {
            let valid = Step.FailurePolicy.allCases.map(\.rawValue)
            if let s = policyNode.scalar, let p = Step.FailurePolicy(rawValue: s) {
                step.onFailure = p
            } else {
                let got = MappingReader.quoteValue(policyNode)
                diags.append(.error(.enumeration, "\"on_failure\" must be one of \(valid.joined(separator: ", ")), got \(got)\(Suggestions.didYouMean(policyNode.scalar ?? "", in: valid))",
                                    at: policyNode.location, length: policyNode.scalar?.count ?? 1))
            }
        }
        step.when = r.templated("when")
        // A step without an action is a gate: it only checks (require/verify) or asks a person (manual).
        // Keyed on what was written: a malformed `manual:` already has its own diagnostic.
        let hasBody = ["action", "manual", "require", "verify"].contains { step.keyLocations[$0] != nil }
        if !hasBody && idNode != nil {
            diags.append(.error(.missingKey, "step \"\(id)\" needs \"action\", \"manual\" or checks (\"require\"/\"verify\")",
                                at: step.idLocation, length: id.count))
        }
        if step.forEach != nil && step.loopVariable == nil {
            diags.append(.error(.missingKey, "step \"\(id)\" has \"for_each\" but no \"as\" to name the loop variable", at: step.forEach?.location))
        }
        r.finish(known: stepKeys)
        diags += r.diagnostics
        return step
    }

    static func inputs(_ node: YNode?, owner: String, _ diags: inout [Diagnostic]) -> [YPair] {
        guard let node else { return [] }
        if node.isNull { return [] }
        guard let pairs = node.mapping else {
            diags.append(.error(.type, "\"\(owner)\" must be a mapping of inputs, got \(node.kindName)", at: node.location))
            return []
        }
        return pairs
    }

    static func checks(_ node: YNode?, key: String, _ diags: inout [Diagnostic]) -> [ActionCall] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            diags.append(.error(.type, "\"\(key)\" must be a list of checks, got \(node.kindName)", at: node.location))
            return []
        }
        var out: [ActionCall] = []
        for item in items {
            guard let pairs = item.mapping else {
                diags.append(.error(.type, "a check must be a mapping with \"check\", got \(item.kindName)", at: item.location))
                continue
            }
            guard let namePair = pairs.first(where: { $0.key == "check" }), let name = namePair.value.scalar else {
                diags.append(.error(.missingKey, "a check needs \"check: NAME\"", at: item.location))
                continue
            }
            out.append(ActionCall(name: name, nameLocation: namePair.value.location,
                                  inputs: pairs.filter { $0.key != "check" }, location: item.location))
        }
        return out
    }

    static func rollback(_ node: YNode, _ diags: inout [Diagnostic]) -> ActionCall? {
        guard var r = MappingReader(node, context: "rollback", diagnostics: &diags) else { return nil }
        defer {
            r.finish(known: ["action", "with"])
            diags += r.diagnostics
        }
        let actionNode = r.node("action")
        guard let name = r.string("action", required: true) else { return nil }
        return ActionCall(name: name, nameLocation: actionNode?.location ?? node.location,
                          inputs: inputs(r.node("with"), owner: "with", &diags), location: node.location)
    }
}

public func sha256Hex(_ data: Data) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in SHA256.hash(data: data) {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
