import Foundation

/// Reads a group target (`TargetKindSpec.group`):
///
///     db_hosts:
///       group:
///         shape: {postgres: {host: /var/run/postgresql, user: postgres, password: "${secrets.pg}"}}
///         ssh: {user: backup, identity_file: /etc/runbook/fleet_key, known_hosts: /etc/runbook/known_hosts}
///         members:
///           db1: {host: 10.0.0.1}
///           db2: {host: 10.0.0.2, port: 2222}
///
/// Every member becomes two targets of the profile: its host (`db_hosts.db1`, the shared host
/// keys with the member's own on top) and, named as the member, the shape reaching that host
/// (`ssh: db_hosts.db1`, `via: ssh`). With a shape of the host kind itself, the member is just
/// that host. Both are read by `TargetReader`, so every key is checked as for a target written
/// by hand; a problem in a shared key is reported once, at the key.
enum GroupReader {
    static let shapeKey = "shape"
    static let membersKey = "members"

    static func read(_ pair: YPair, entry: YPair, spec: TargetKindSpec, group: TargetGroupSpec, kinds: TargetKindCatalog,
                     _ diags: inout [Diagnostic]) -> [TargetReader.Read] {
        let name = pair.key
        let hostKind = group.hostKind.rawValue
        guard let hostSpec = kinds.kind(hostKind),
              var r = MappingReader(entry.value, context: "group target \"\(name)\"", diagnostics: &diags) else { return [] }
        var local: [Diagnostic] = []
        defer {
            var seen = Set<Diagnostic>()
            diags += local.filter { seen.insert($0).inserted }
        }
        let shape = readShape(&r, group: name, hostKind: hostKind, kinds: kinds, &local)
        let shared = r.node(hostKind)
        if let shared, shared.mapping == nil {
            local.append(.error(.type, "\"\(hostKind)\" of group \"\(name)\" must be a mapping of the keys every member's \(hostKind) host shares, got \(shared.kindName)",
                                at: shared.location))
        }
        if let shared, let shape, shape.spec.name == group.hostKind {
            local.append(.error(.targetGroup, "group \"\(name)\" has a \(hostKind) shape, so its shared \(hostKind) keys belong in the shape; remove \"\(hostKind)\"",
                                at: shared.location))
        }
        let membersNode = r.node(membersKey)
        r.finish(known: [shapeKey, hostKind, membersKey])
        local += r.diagnostics
        guard let membersNode else {
            local.append(.error(.missingKey, "group target \"\(name)\" needs \"\(membersKey)\"", at: entry.value.location))
            return []
        }
        guard let members = membersNode.mapping else {
            local.append(.error(.type, "\"\(membersKey)\" of group \"\(name)\" must be a mapping of member name to its \(hostKind) host's keys, got \(membersNode.kindName)",
                                at: membersNode.location))
            return []
        }
        if members.isEmpty {
            local.append(.error(.targetGroup, "group \"\(name)\" has no members; a loop over it would do nothing",
                                at: membersNode.location, notes: ["write members as name to host keys, e.g. members: {db1: {host: 10.0.0.1}, db2: {host: 10.0.0.2, port: 2222}}"]))
        }
        var out: [TargetReader.Read] = []
        for member in members {
            guard let shape else { break }
            let keys = memberKeys(member, group: name, hostSpec: hostSpec, shapeSpec: shape.spec, &local)
            let ownHost = shape.spec.name == group.hostKind
            let hostName = ownHost ? member.key : "\(name).\(member.key)"
            let base = ownHost ? shape.pairs : (shared?.mapping ?? [])
            let merged = base.filter { b in !keys.contains { $0.key == b.key } } + keys
            let hostPair = YPair(key: hostName, keyLocation: member.keyLocation,
                                 value: YNode(.mapping([YPair(key: hostKind, keyLocation: member.keyLocation, value: YNode(.mapping(merged), at: member.value.location))]),
                                              at: member.value.location))
            guard let host = TargetReader.read(hostPair, kinds: kinds, &local) else { continue }
            out.append(host)
            guard !ownHost, let link = shape.link else { continue }
            var pairs = shape.pairs + [YPair(key: link, keyLocation: member.keyLocation, value: YNode(.scalar(hostName, quoted: false), at: member.keyLocation))]
            if let via = shape.spec.via(limiting: link), !shape.pairs.contains(where: { $0.key == "via" }) {
                pairs.append(YPair(key: "via", keyLocation: member.keyLocation, value: YNode(.scalar(via.name, quoted: false), at: member.keyLocation)))
            }
            let targetPair = YPair(key: member.key, keyLocation: member.keyLocation,
                                   value: YNode(.mapping([YPair(key: shape.spec.name.rawValue, keyLocation: shape.kindLocation, value: YNode(.mapping(pairs), at: shape.location))]),
                                                at: member.value.location))
            if let target = TargetReader.read(targetPair, kinds: kinds, &local) { out.append(target) }
        }
        var fields = TargetFields()
        fields.values[membersKey] = .strings(members.map(\.key))
        fields.values[shapeKey] = .string(shape?.spec.name.rawValue ?? "")
        let decl = TargetDecl(name: name, binding: TargetBinding(kind: spec.name, configuration: spec.configuration(fields)), location: pair.keyLocation)
        return [TargetReader.Read(decl: decl, spec: spec, fields: fields, keyLocations: [:])] + out
    }

    /// The shape: one target of a kind that reaches a host of the group's host kind (the key
    /// that names it, `link`), or of the host kind itself.
    struct Shape {
        var spec: TargetKindSpec
        var pairs: [YPair]
        var link: String?
        var location: SourceLocation
        var kindLocation: SourceLocation
    }

    static func readShape(_ r: inout MappingReader, group: String, hostKind: String, kinds: TargetKindCatalog, _ diags: inout [Diagnostic]) -> Shape? {
        guard let node = r.node(shapeKey) else {
            diags.append(.error(.missingKey, "group target \"\(group)\" needs \"\(shapeKey)\", the target every member is", at: r.node.location))
            return nil
        }
        let reachable = kinds.kinds.filter { k in k.group == nil && (k.name.rawValue == hostKind || linkKey(k, hostKind) != nil) }.map(\.name.rawValue)
        guard let entries = node.mapping, entries.count == 1, let entry = entries.first else {
            diags.append(.error(.targetKind, "\"\(shapeKey)\" of group \"\(group)\" must have exactly one kind: \(reachable.joined(separator: ", "))", at: node.location))
            return nil
        }
        guard let spec = kinds.kind(entry.key), spec.group == nil, reachable.contains(entry.key) else {
            let known = kinds.kind(entry.key) != nil
            diags.append(.error(known ? .targetGroup : .targetKind,
                                known ? "the shape of group \"\(group)\" is a \(entry.key) target, which cannot reach its members' \(hostKind) hosts"
                                      : "unknown target kind \"\(entry.key)\"\(Suggestions.didYouMean(entry.key, in: reachable))",
                                at: entry.keyLocation, length: entry.key.count, notes: ["kinds a group's shape can be: " + reachable.joined(separator: ", ")]))
            return nil
        }
        guard let pairs = entry.value.mapping else {
            diags.append(.error(.type, "\(entry.key) shape of group \"\(group)\" must be a mapping, got \(entry.value.kindName)", at: entry.value.location))
            return nil
        }
        let link = linkKey(spec, hostKind)
        if let link, let written = pairs.first(where: { $0.key == link }) {
            diags.append(.error(.targetGroup, "the shape of group \"\(group)\" sets \"\(link)\", but each member is its own \(hostKind) host; remove it",
                                at: written.keyLocation, length: link.count, notes: ["the group names each member's host \(group).MEMBER from its \"\(hostKind)\" keys and the member's own"]))
            return nil
        }
        if let link, let via = spec.via(limiting: link), let written = pairs.first(where: { $0.key == "via" }), written.value.scalar != via.name {
            diags.append(.error(.targetGroup, "the shape of group \"\(group)\" is via: \(MappingReader.quoteValue(written.value)), but its members are reached through their \(hostKind) hosts: via: \(via.name)",
                                at: written.value.location, notes: ["write via: \(via.name), or leave via out"]))
            return nil
        }
        return Shape(spec: spec, pairs: pairs, link: link, location: entry.value.location, kindLocation: entry.keyLocation)
    }

    /// The shape kind's key naming a target of the host kind (`ssh` for postgres and compose).
    static func linkKey(_ kind: TargetKindSpec, _ hostKind: String) -> String? {
        kind.keys.first { if case .target(let k) = $0.type { return k.rawValue == hostKind }; return false }?.name
    }

    /// A member's keys that its host may take. A key of the shape's kind is refused with its
    /// own rule (the group decides it for every member), anything else is an unknown key.
    static func memberKeys(_ member: YPair, group: String, hostSpec: TargetKindSpec, shapeSpec: TargetKindSpec,
                           _ diags: inout [Diagnostic]) -> [YPair] {
        let context = "member \"\(member.key)\" of group \"\(group)\""
        if member.value.isNull { return [] }
        guard let pairs = member.value.mapping else {
            diags.append(.error(.type, "\(context) must be a mapping of its \(hostSpec.name) host's keys, got \(member.value.kindName)", at: member.value.location))
            return []
        }
        let allowed = hostSpec.keyNames
        return pairs.filter { p in
            if allowed.contains(p.key) { return true }
            if shapeSpec.keyNames.contains(p.key) {
                diags.append(.error(.targetGroup, "\(context) sets \"\(p.key)\", which the group's \(shapeSpec.name) shape decides for every member",
                                    at: p.keyLocation, length: p.key.count,
                                    notes: ["a member sets only its \(hostSpec.name) host's keys: " + allowed.joined(separator: ", "),
                                            "to vary \"\(p.key)\", use another group, or a target of its own"]))
            } else {
                let shown = p.key.count > 80 ? String(p.key.prefix(80)) + "..." : p.key
                diags.append(.error(.unknownKey, "unknown key \"\(shown)\" in \(context)\(Suggestions.didYouMean(p.key, in: allowed))",
                                    at: p.keyLocation, length: p.key.count, notes: ["valid keys: " + allowed.joined(separator: ", ")]))
            }
            return false
        }
    }
}
