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
                    guard let target = TargetReader.read(pair, kinds: kinds, &diags) else { continue }
                    read.append(target)
                    profile.targets.append(target.decl)
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
}
