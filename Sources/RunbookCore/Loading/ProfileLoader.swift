import Foundation

/// Loads a profile: target names bound to real endpoints, plus the secrets they use. Targets
/// are read through their kinds' declarations (`TargetKindSpec`); this file knows no kind.
public enum ProfileLoader {
    public static let topLevelKeys = RunbookFormat.profile.map(\.name)

    public struct Loaded: Sendable {
        public var document: YAMLDocument
        public var profile: Profile?
        public var diagnostics: [Diagnostic]
    }

    public static func load(path: String, kinds: TargetKindCatalog) -> Loaded {
        load(document: YAMLDocument.load(path: path), kinds: kinds)
    }

    public static func load(document: YAMLDocument, kinds: TargetKindCatalog) -> Loaded {
        guard let root = document.root else {
            return Loaded(document: document, profile: nil, diagnostics: document.diagnostics)
        }
        var diags: [Diagnostic] = []
        guard var top = MappingReader(root, context: "profile", diagnostics: &diags) else {
            return Loaded(document: document, profile: nil, diagnostics: diags)
        }
        var profile = Profile(name: top.string("profile", required: true) ?? "", path: document.path,
                              digest: sha256Hex(document.bytes))
        profile.nameLocation = top.node("profile")?.location
        _ = top.string("description")
        if let s = top.node("secrets") { profile.secrets = RunbookLoader.loadSecrets(s, &diags) }
        var read: [TargetReader.Read] = []
        if let targets = top.node("targets") {
            if let pairs = targets.mapping {
                for pair in pairs {
                    for target in readTarget(pair, kinds: kinds, &diags) {
                        if let other = profile.target(target.decl.name) {
                            diags.append(.error(.targetGroup, "target \"\(target.decl.name)\" is defined twice: a group member and another target have that name",
                                                at: target.decl.location, length: target.decl.name.count, notes: ["the other is at \(other.location)"]))
                            continue
                        }
                        read.append(target)
                        profile.targets.append(target.decl)
                    }
                }
            } else {
                diags.append(.error(.type, "\"targets\" must be a mapping of name to endpoint, got \(targets.kindName)", at: targets.location))
            }
        } else {
            diags.append(.error(.missingKey, "profile needs \"targets\"", at: root.location))
        }
        top.finish(known: topLevelKeys)
        diags += top.diagnostics
        diags += TargetReader.undeclaredSecrets(read, declared: profile.secrets.map(\.name))
        diags += TargetReader.targetReferences(read, in: profile)
        return Loaded(document: document, profile: profile, diagnostics: diags)
    }

    /// One written target, or for a group the group and the targets of its members.
    static func readTarget(_ pair: YPair, kinds: TargetKindCatalog, _ diags: inout [Diagnostic]) -> [TargetReader.Read] {
        if let entries = pair.value.mapping, entries.count == 1, let entry = entries.first,
           let spec = kinds.kind(entry.key), let group = spec.group {
            return GroupReader.read(pair, entry: entry, spec: spec, group: group, kinds: kinds, &diags)
        }
        return TargetReader.read(pair, kinds: kinds, &diags).map { [$0] } ?? []
    }
}
