import Foundation

/// Loads a profile: target names bound to real endpoints, plus the secrets they use.
public enum ProfileLoader {
    public static let topLevelKeys = ["profile", "description", "secrets", "targets"]
    public static let postgresKeys = ["via", "host", "port", "user", "password", "maintenance_database", "compose", "service", "data_dir", "bin_dir"]
    public static let composeKeys = ["project_dir", "files", "project_name"]
    public static let s3Keys = ["endpoint", "region", "access_key", "secret_key"]
    public static let httpKeys = ["base_url"]

    public struct Loaded: Sendable {
        public var document: YAMLDocument
        public var profile: Profile?
        public var diagnostics: [Diagnostic]
    }

    public static func load(path: String) -> Loaded {
        load(document: YAMLDocument.load(path: path))
    }

    public static func load(document: YAMLDocument) -> Loaded {
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
        if let targets = top.node("targets") {
            if let pairs = targets.mapping {
                for pair in pairs {
                    if let t = loadTarget(pair, &diags) { profile.targets.append(t) }
                }
            } else {
                diags.append(.error("type", "\"targets\" must be a mapping of name to endpoint, got \(targets.kindName)", at: targets.location))
            }
        } else {
            diags.append(.error("missing-key", "profile needs \"targets\"", at: root.location))
        }
        top.finish(known: topLevelKeys)
        diags += top.diagnostics
        diags += undeclaredSecrets(profile, &diags)
        diags += composeReferences(profile)
        return Loaded(document: document, profile: profile, diagnostics: diags)
    }

    static func loadTarget(_ pair: YPair, _ diags: inout [Diagnostic]) -> TargetDecl? {
        let kinds = TargetKind.allCases.map(\.rawValue)
        guard let entries = pair.value.mapping, entries.count == 1, let entry = entries.first else {
            diags.append(.error("target-kind", "target \"\(pair.key)\" must have exactly one kind: \(kinds.joined(separator: ", "))",
                                at: pair.value.location))
            return nil
        }
        guard let kind = TargetKind(rawValue: entry.key) else {
            diags.append(.error("target-kind", "unknown target kind \"\(entry.key)\"\(Suggestions.didYouMean(entry.key, in: kinds))",
                                at: entry.keyLocation, length: entry.key.count, notes: ["valid kinds: " + kinds.joined(separator: ", ")]))
            return nil
        }
        guard var r = MappingReader(entry.value, context: "\(kind.rawValue) target \"\(pair.key)\"", diagnostics: &diags) else { return nil }
        let binding: TargetBinding
        switch kind {
        case .postgres:
            var t = PostgresTarget()
            if let viaNode = r.node("via") {
                if let s = viaNode.scalar, let v = PostgresTarget.Via(rawValue: s) { t.via = v }
                else {
                    diags.append(.error("enum", "\"via\" must be local or compose, got \(MappingReader.quoteValue(viaNode))", at: viaNode.location))
                }
            }
            t.host = r.string("host")
            t.port = r.int("port", min: 1)
            t.user = r.string("user")
            t.maintenanceDatabase = r.string("maintenance_database") ?? "postgres"
            if let pw = r.node("password") { t.passwordSecret = secretReference(pw, key: "password", &diags) }
            t.compose = r.string("compose")
            t.service = r.string("service")
            t.dataDir = r.string("data_dir")
            t.binDir = r.string("bin_dir")
            if t.via == .compose && (t.compose == nil || t.service == nil) {
                diags.append(.error("missing-key", "a postgres target with via: compose needs \"compose\" and \"service\"", at: entry.value.location))
            }
            r.finish(known: postgresKeys)
            binding = .postgres(t)
        case .compose:
            let dir = r.string("project_dir", required: true) ?? ""
            let files = (r.stringList("files") ?? []).map(\.name)
            binding = .compose(ComposeTarget(projectDir: dir, files: files, projectName: r.string("project_name")))
            r.finish(known: composeKeys)
        case .s3:
            let endpoint = r.string("endpoint", required: true) ?? ""
            let region = r.string("region") ?? "us-east-1"
            var access = Credential.literal("")
            var secret = Credential.secret("")
            if let a = r.node("access_key") {
                access = credential(a) ?? access
            } else {
                diags.append(.error("missing-key", "s3 target \"\(pair.key)\" needs \"access_key\"", at: entry.value.location))
            }
            if let s = r.node("secret_key") {
                if let name = secretReference(s, key: "secret_key", &diags) { secret = .secret(name) }
            } else {
                diags.append(.error("missing-key", "s3 target \"\(pair.key)\" needs \"secret_key\"", at: entry.value.location))
            }
            r.finish(known: s3Keys)
            binding = .s3(S3Target(endpoint: endpoint, region: region, accessKey: access, secretKey: secret))
        case .http:
            binding = .http(HTTPTarget(baseURL: r.string("base_url", required: true) ?? ""))
            r.finish(known: httpKeys)
        }
        diags += r.diagnostics
        return TargetDecl(name: pair.key, binding: binding, location: pair.keyLocation)
    }

    static func credential(_ node: YNode) -> Credential? {
        guard let s = node.scalar else { return nil }
        if case .success(let t) = Template.parse(s), case .secret(let name)? = t.singleReference { return .secret(name) }
        return .literal(s)
    }

    /// Passwords and secret keys must be `${secrets.NAME}`; a literal is refused so it never sits in a file.
    static func secretReference(_ node: YNode, key: String, _ diags: inout [Diagnostic]) -> String? {
        if case .secret(let name)? = credential(node) { return name }
        diags.append(.error("literal-secret", "\"\(key)\" must reference a secret as \"${secrets.NAME}\"; secret values are never written in profiles",
                            at: node.location))
        return nil
    }

    /// A postgres target reached through compose must name a compose target of the same profile.
    static func composeReferences(_ profile: Profile) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let composeNames = profile.targets.filter { $0.binding.kind == .compose }.map(\.name)
        for t in profile.targets {
            guard case .postgres(let p) = t.binding, p.via == .compose, let name = p.compose else { continue }
            if let other = profile.target(name), other.binding.kind == .compose { continue }
            let what = profile.target(name).map { "is a \($0.binding.kind.rawValue) target" } ?? "is not defined"
            out.append(.error("missing-target", "target \"\(t.name)\" runs through compose target \"\(name)\", which \(what) in this profile\(Suggestions.didYouMean(name, in: composeNames))",
                              at: t.location, length: t.name.count,
                              notes: composeNames.isEmpty ? ["this profile defines no compose target"] : ["compose targets: " + composeNames.joined(separator: ", ")]))
        }
        return out
    }

    static func undeclaredSecrets(_ profile: Profile, _ diags: inout [Diagnostic]) -> [Diagnostic] {
        // Secret references are resolved per target; report names the profile does not declare.
        var out: [Diagnostic] = []
        let declared = profile.secrets.map(\.name)
        for t in profile.targets {
            for n in t.binding.secretNames where !declared.contains(n) {
                out.append(.error("undefined-reference", "target \"\(t.name)\" uses secret \"\(n)\", which the profile does not declare\(Suggestions.didYouMean(n, in: declared))",
                                  at: t.location, length: t.name.count))
            }
        }
        return out
    }
}
