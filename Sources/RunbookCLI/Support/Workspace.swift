import Foundation
import RunbookActions
import RunbookCore

/// Where runbooks and profiles live, and how a name on the command line becomes a
/// validated Runbook or Profile. Every command that reads runbooks goes through here.
struct Workspace {
    var runbooksDir: String
    var profilesDir: String

    /// `--runbooks-dir`, else `$RUNBOOK_DIR`, else `./runbooks`; profiles sit beside it in `profiles/`.
    init(runbooksDir: String?) {
        let dir = runbooksDir ?? ProcessInfo.processInfo.environment["RUNBOOK_DIR"] ?? "runbooks"
        self.runbooksDir = dir
        let parent = (dir as NSString).deletingLastPathComponent
        // `runbooks` gives `profiles`, not `./profiles`: paths in diagnostics stay as people typed them.
        self.profilesDir = parent.isEmpty ? "profiles" : (parent as NSString).appendingPathComponent("profiles")
    }

    /// Built once per process: every command that reads runbooks asks for it, and building
    /// it (every action's spec) showed in `plan`'s start-up.
    var catalog: ActionCatalog { Self.registryCatalog }
    private static let registryCatalog = Registry.catalog
    var targetKinds: TargetKindCatalog { Registry.targetKinds }

    /// `NAME` means `runbooks/NAME.yaml`; anything with a slash or a .yaml suffix is a path.
    func runbookPath(_ nameOrPath: String) -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") { return nameOrPath }
        return (runbooksDir as NSString).appendingPathComponent(nameOrPath + ".yaml")
    }

    func profilePath(_ nameOrPath: String) -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") { return nameOrPath }
        return (profilesDir as NSString).appendingPathComponent(nameOrPath + ".yaml")
    }

    /// Every `*.yaml` in the runbooks directory, sorted.
    func allRunbookPaths() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: runbooksDir)) ?? []
        return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { (runbooksDir as NSString).appendingPathComponent($0) }
    }

    /// The call graph of `root`: callees found as `NAME.yaml` (parsing the whole directory was
    /// most of the start-up of `runbook run`), the whole directory only when a name is computed
    /// (`${...}`) or a file does not hold the runbook its name promises. What loading a callee's
    /// file reported, and its text, come back too, so its problems are shown at its own lines.
    func graph(of root: Runbook) -> (graph: RunbookGraph, diagnostics: [Diagnostic], sources: [String: String]) {
        var diagnostics: [Diagnostic] = []
        var sources: [String: String] = [:]
        let graph = RunbookGraph(root: root, find: { name in
            let path = runbookPath(name)
            guard !name.contains("/"), FileManager.default.fileExists(atPath: path) else { return nil }
            let loaded = RunbookLoader.load(path: path)
            guard loaded.runbook?.name == name || loaded.runbook == nil else { return nil }
            diagnostics += loaded.diagnostics
            sources[path] = loaded.document.text
            return loaded.runbook
        }, everything: { Array(siblings().values) })
        return (graph, diagnostics, sources)
    }

    /// Loads every runbook in the directory (for `runbook.run` resolution), without validating them.
    func siblings() -> [String: Runbook] {
        var out: [String: Runbook] = [:]
        for loaded in RunbookLoader.load(paths: allRunbookPaths()) {
            if let rb = loaded.runbook { out[rb.name] = rb }
        }
        return out
    }

    struct Loaded {
        var runbook: Runbook?
        var profile: Profile?
        var document: YAMLDocument?
        var diagnostics: [Diagnostic]
        /// Source texts by path, for caret rendering.
        var sources: [String: String]
        /// `runbook` and every runbook it can reach, each validated with it.
        var graph: RunbookGraph?
    }

    /// Loads and validates a runbook, and the profile if one is named.
    func load(runbook nameOrPath: String, profile profileName: String?) -> Loaded {
        let path = runbookPath(nameOrPath)
        guard FileManager.default.fileExists(atPath: path) else {
            let known = allRunbookPaths().map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension }
            let d = Diagnostic.error(.unknownRunbook, "no runbook \"\(nameOrPath)\" (looked for \(path))\(Suggestions.didYouMean(nameOrPath, in: known))",
                                     at: nil, notes: known.isEmpty ? [] : ["runbooks: " + known.joined(separator: ", ")])
            return Loaded(runbook: nil, profile: nil, document: nil, diagnostics: [d], sources: [:])
        }
        let loaded = RunbookLoader.load(path: path)
        var diags = loaded.diagnostics
        var sources = [path: loaded.document.text]
        var profile: Profile?
        if let profileName {
            let p = loadProfile(profileName)
            profile = p.profile
            diags += p.diagnostics
            sources.merge(p.sources) { a, _ in a }
        }
        var graph: RunbookGraph?
        if let rb = loaded.runbook {
            let found = self.graph(of: rb)
            graph = found.graph
            diags += found.diagnostics + Validator.validate(found.graph, catalog: catalog, profile: profile)
            sources.merge(found.sources) { a, _ in a }
        }
        return Loaded(runbook: loaded.runbook, profile: profile, document: loaded.document,
                      diagnostics: diags.sortedForOutput(), sources: sources, graph: graph)
    }

    func loadProfile(_ nameOrPath: String) -> Loaded {
        let path = profilePath(nameOrPath)
        guard FileManager.default.fileExists(atPath: path) else {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: profilesDir)) ?? []
            let known = files.filter { $0.hasSuffix(".yaml") }.map { ($0 as NSString).deletingPathExtension }.sorted()
            let d = Diagnostic.error(.unknownProfile, "no profile \"\(nameOrPath)\" (looked for \(path))\(Suggestions.didYouMean(nameOrPath, in: known))",
                                     at: nil, notes: known.isEmpty ? [] : ["profiles: " + known.joined(separator: ", ")])
            return Loaded(runbook: nil, profile: nil, document: nil, diagnostics: [d], sources: [:])
        }
        let p = ProfileLoader.load(path: path, kinds: targetKinds)
        return Loaded(runbook: nil, profile: p.profile, document: p.document, diagnostics: p.diagnostics, sources: [path: p.document.text])
    }
}
