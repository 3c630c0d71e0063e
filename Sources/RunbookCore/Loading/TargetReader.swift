import Foundation

/// Reads one profile target through its kind's declaration: the kind's name, its keys by
/// declared type, its `via` and the keys that go with each via. Unknown keys, wrong types and
/// missing keys are reported at their line and column, with "did you mean".
enum TargetReader {
    /// A target as read, with what the cross-target checks need (its fields and declaration).
    struct Read {
        var decl: TargetDecl
        var spec: TargetKindSpec
        var fields: TargetFields
        var keyLocations: [String: SourceLocation]
    }

    static func read(_ pair: YPair, kinds: TargetKindCatalog, _ diags: inout [Diagnostic]) -> Read? {
        let names = kinds.names
        guard let entries = pair.value.mapping, entries.count == 1, let entry = entries.first else {
            diags.append(.error(.targetKind, "target \"\(pair.key)\" must have exactly one kind: \(names.joined(separator: ", "))",
                                at: pair.value.location))
            return nil
        }
        guard let spec = kinds.kind(entry.key) else {
            diags.append(.error(.targetKind, "unknown target kind \"\(entry.key)\"\(Suggestions.didYouMean(entry.key, in: names))",
                                at: entry.keyLocation, length: entry.key.count, notes: ["valid kinds: " + names.joined(separator: ", ")]))
            return nil
        }
        guard var r = MappingReader(entry.value, context: "\(spec.name) target \"\(pair.key)\"", diagnostics: &diags) else { return nil }
        var fields = TargetFields()
        var locations: [String: SourceLocation] = [:]
        for p in r.pairs { locations[p.key] = p.keyLocation }
        if !spec.via.isEmpty { fields.via = via(&r, spec, &diags) }
        for key in spec.keys {
            if let value = self.value(&r, key, &diags) { fields.values[key.name] = value }
            else if r.node(key.name) == nil, key.required {
                diags.append(.error(.missingKey, "\(r.context) needs \"\(key.name)\"", at: entry.value.location))
            }
        }
        diags += viaRules(spec, fields, name: pair.key, locations: locations, at: entry.value.location)
        r.finish(known: spec.keyNames)
        diags += r.diagnostics
        let binding = TargetBinding(kind: spec.name, configuration: spec.configuration(fields))
        return Read(decl: TargetDecl(name: pair.key, binding: binding, location: pair.keyLocation),
                    spec: spec, fields: fields, keyLocations: locations)
    }

    /// The `via` written (checked against the declared ones), or the default, the first.
    static func via(_ r: inout MappingReader, _ spec: TargetKindSpec, _ diags: inout [Diagnostic]) -> String {
        let names = spec.via.map(\.name)
        guard let node = r.node("via") else { return names[0] }
        if let s = node.scalar, names.contains(s) { return s }
        diags.append(.error(.enumeration, "\"via\" must be \(alternatives(names)), got \(MappingReader.quoteValue(node))\(Suggestions.didYouMean(node.scalar ?? "", in: names))",
                            at: node.location))
        return names[0]
    }

    /// One key by its declared type; nil when absent or wrong (after a diagnostic), or
    /// its default when absent and it has one.
    static func value(_ r: inout MappingReader, _ key: TargetKeySpec, _ diags: inout [Diagnostic]) -> TargetFields.Value? {
        guard let node = r.node(key.name) else { return key.defaultValue.map { .string($0) } }
        switch key.type {
        case .string, .target:
            guard let s = r.string(key.name) else { return nil }
            return checked(key, [Named(s, at: node.location)], &diags) ? .string(s) : nil
        case .int(let min, let max):
            guard let i = r.int(key.name, min: min) else { return nil }
            if let max, i > max {
                diags.append(.error(.range, "\"\(key.name)\" must be at most \(max), got \(i)", at: node.location))
                return nil
            }
            return .int(i)
        case .stringList:
            guard let items = r.stringList(key.name) else { return nil }
            return checked(key, items, &diags) ? .strings(items.map(\.name)) : nil
        case .oneOf(let values):
            guard let s = r.string(key.name) else { return nil }
            guard values.contains(s) else {
                diags.append(.error(.enumeration, "\"\(key.name)\" must be \(alternatives(values)), got \"\(s)\"\(Suggestions.didYouMean(s, in: values))",
                                    at: node.location))
                return nil
            }
            return .string(s)
        case .secret:
            return secretReference(node, key: key.name, &diags).map { .credential(.secret($0)) }
        case .credential:
            return credential(node).map { .credential($0) }
        case .mapping:
            return nil  // read by the kind's own reader (GroupReader)
        }
    }

    /// The key's own check of each value (`TargetKeySpec.check`); false after a diagnostic.
    static func checked(_ key: TargetKeySpec, _ values: [Named], _ diags: inout [Diagnostic]) -> Bool {
        guard let check = key.check else { return true }
        var fine = true
        for value in values {
            if let problem = check(value.name) {
                diags.append(.error(.targetValue, "\"\(key.name)\": \(problem)", at: value.location))
                fine = false
            }
        }
        return fine
    }

    /// Keys limited to another via than the chosen one, and keys the chosen via needs.
    static func viaRules(_ spec: TargetKindSpec, _ fields: TargetFields, name: String,
                         locations: [String: SourceLocation], at location: SourceLocation) -> [Diagnostic] {
        guard let chosen = fields.via, let via = spec.via.first(where: { $0.name == chosen }) else { return [] }
        var out: [Diagnostic] = []
        for other in spec.via where other.name != chosen {
            for key in other.keys where !via.keys.contains(key) {
                guard let at = locations[key] else { continue }
                out.append(.error(.targetVia, "\"\(key)\" applies only with via: \(other.name), and \(spec.name) target \"\(name)\" is via: \(chosen)",
                                  at: at, length: key.count, notes: ["remove \"\(key)\" or set via: \(other.name)"]))
            }
        }
        for key in via.required where locations[key] == nil {
            out.append(.error(.missingKey, "\(spec.name) target \"\(name)\" with via: \(chosen) needs \"\(key)\"", at: location))
        }
        return out
    }

    static func alternatives(_ values: [String]) -> String {
        values.count == 2 ? "\(values[0]) or \(values[1])" : "one of " + values.joined(separator: ", ")
    }

    static func credential(_ node: YNode) -> Credential? {
        guard let s = node.scalar else { return nil }
        if case .success(let t) = Template.parse(s), case .secret(let name)? = t.singleReference { return .secret(name) }
        return .literal(s)
    }

    /// Passwords and secret keys must be `${secrets.NAME}`; a literal is refused so it never sits in a file.
    static func secretReference(_ node: YNode, key: String, _ diags: inout [Diagnostic]) -> String? {
        if case .secret(let name)? = credential(node) { return name }
        diags.append(.error(.literalSecret, "\"\(key)\" must reference a secret as \"${secrets.NAME}\"; secret values are never written in profiles",
                            at: node.location))
        return nil
    }

    /// Secret references of every target must name secrets the profile declares.
    static func undeclaredSecrets(_ targets: [Read], declared: [String]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for t in targets {
            for key in t.spec.keys {
                guard let name = t.fields.secret(key.name), !name.isEmpty, !declared.contains(name) else { continue }
                out.append(.error(.undefinedReference, "target \"\(t.decl.name)\" uses secret \"\(name)\", which the profile does not declare\(Suggestions.didYouMean(name, in: declared))",
                                  at: t.decl.location, length: t.decl.name.count))
            }
        }
        return out
    }

    /// Keys naming another target (`compose: stack`) must name one of the declared kind in the same profile.
    static func targetReferences(_ targets: [Read], in profile: Profile) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for t in targets {
            for key in t.spec.keys {
                guard case .target(let kind) = key.type, let name = t.fields.string(key.name) else { continue }
                if let other = profile.target(name), other.binding.kind == kind { continue }
                let sameKind = profile.targets.filter { $0.binding.kind == kind }.map(\.name)
                let what = profile.target(name).map { "is a \($0.binding.kind) target" } ?? "is not defined"
                out.append(.error(.missingTarget, "target \"\(t.decl.name)\" names \(kind) target \"\(name)\" in \"\(key.name)\", which \(what) in this profile\(Suggestions.didYouMean(name, in: sameKind))",
                                  at: t.decl.location, length: t.decl.name.count,
                                  notes: sameKind.isEmpty ? ["this profile defines no \(kind) target"] : ["\(kind) targets: " + sameKind.joined(separator: ", ")]))
            }
        }
        return out
    }
}
