import Foundation

/// Validates a set of runbook and profile files together: every file is loaded once,
/// `runbook.run` names resolve against the runbooks of the caller's own directory,
/// and every problem of every file is reported, sorted.
public enum BatchValidation {
    public struct Result: Sendable {
        public var diagnostics: [Diagnostic]
        /// File texts by path, for caret rendering.
        public var sources: [String: String]
        public var runbooks: Int
        public var profiles: Int
        public var files: Int { runbooks + profiles }
        public var invalidFiles: Int
    }

    /// Files named directly, plus the `*.yaml`/`*.yml` files of named directories
    /// (not recursive), in a stable order, each once.
    public static func expand(_ paths: [String]) -> (files: [String], diagnostics: [Diagnostic]) {
        var files: [String] = []
        var seen: Set<String> = []
        var diags: [Diagnostic] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                diags.append(.error(.io, "no such file or directory", at: SourceLocation(file: path, line: 1, column: 1)))
                continue
            }
            let found = isDir.boolValue ? yamlFiles(in: path) : [path]
            for f in found where seen.insert(pathKey(f)).inserted { files.append(f) }
        }
        return (files, diags)
    }

    /// The YAML files directly inside `dir`, sorted by name.
    public static func yamlFiles(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { dir == "." ? $0 : (dir as NSString).appendingPathComponent($0) }
    }

    enum Loaded {
        case runbook(RunbookLoader.Loaded)
        case profile(ProfileLoader.Loaded)

        var text: String {
            switch self {
            case .runbook(let l): return l.document.text
            case .profile(let l): return l.document.text
            }
        }
    }

    /// A file is a profile when its top-level mapping has `profile:` and no `runbook:`.
    static func load(_ path: String, kinds: TargetKindCatalog) -> Loaded {
        let document = YAMLDocument.load(path: path)
        if let root = document.root, root["profile"] != nil, root["runbook"] == nil {
            return .profile(ProfileLoader.load(document: document, kinds: kinds))
        }
        return .runbook(RunbookLoader.load(document: document))
    }

    /// Results written by concurrent workers, one slot each, under a lock.
    final class ResultSlots<T>: @unchecked Sendable {
        var items: [T?]
        let lock = NSLock()
        init(_ n: Int) { items = Array(repeating: nil, count: n) }
    }

    /// `work(i)` for every index on every core, results in index order.
    static func parallelMap<T>(_ count: Int, _ work: (Int) -> T) -> [T] {
        let slots = ResultSlots<T>(count)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let result = work(i)
            slots.lock.lock()
            slots.items[i] = result
            slots.lock.unlock()
        }
        return slots.items.map { $0! }
    }

    /// Loads files on every core: parsing is half the cost of validating a large directory.
    static func loadAll(_ paths: [String], kinds: TargetKindCatalog) -> [Loaded] {
        parallelMap(paths.count) { load(paths[$0], kinds: kinds) }
    }

    public static func run(files: [String], catalog: ActionCatalog, targetKinds: TargetKindCatalog, profile: Profile? = nil) -> Result {
        var loaded = loadAll(files, kinds: targetKinds)
        var diags: [Diagnostic] = []
        var sources: [String: String] = [:]
        var runbookCount = 0, profileCount = 0

        // `runbook.run` resolves within the caller's directory: load each directory's
        // runbooks once, reusing files that are being validated anyway.
        var byDirectory: [String: RuleContext] = [:]
        // Files being validated are not parsed again as siblings (whether they loaded or not).
        var loadedRunbooks: [String: Runbook?] = [:]
        for (path, l) in zip(files, loaded) {
            var rb: Runbook?
            if case .runbook(let r) = l { rb = r.runbook }
            loadedRunbooks[pathKey(path)] = .some(rb)
        }
        func context(for path: String) -> RuleContext {
            let dir = (path as NSString).deletingLastPathComponent
            let key = dir.isEmpty ? "." : dir
            if let cached = byDirectory[key] { return cached }
            var map: [String: Runbook] = [:]
            for file in yamlFiles(in: key) {
                let standard = pathKey(file)
                let rb: Runbook?
                if let known = loadedRunbooks[standard] {
                    rb = known
                } else if case .runbook(let r) = load(file, kinds: targetKinds) {
                    rb = r.runbook
                } else {
                    rb = nil
                }
                if let rb, !rb.name.isEmpty, map[rb.name] == nil { map[rb.name] = rb }
            }
            // One context per directory: its call graph is built once, not once per file.
            let context = RuleContext(catalog: catalog, runbooks: map, profile: profile)
            byDirectory[key] = context
            return context
        }

        // Contexts first (they may load sibling files), then every file's rules on every core.
        var contexts: [RuleContext?] = []
        for (path, l) in zip(files, loaded) {
            sources[path] = l.text
            switch l {
            case .runbook(let r):
                runbookCount += 1
                contexts.append(r.runbook == nil ? nil : context(for: path))
            case .profile:
                profileCount += 1
                contexts.append(nil)
            }
        }
        let perFile: [[Diagnostic]] = parallelMap(files.count) { i in
            switch loaded[i] {
            case .runbook(let r):
                guard let rb = r.runbook, let context = contexts[i] else { return r.diagnostics }
                return r.diagnostics + Validator.validate(rb, in: context)
            case .profile(let p):
                return p.diagnostics + (p.profile.map { Validator.validate(profile: $0) } ?? [])
            }
        }
        let invalid = perFile.filter(\.hasErrors).count
        for fileDiags in perFile { diags += fileDiags }
        diags += reachableOutsideBatch(loaded: loaded, contexts: contexts, batch: Set(loadedRunbooks.keys), sources: &sources)
        let result = Result(diagnostics: unique(diags).sortedForOutput(), sources: sources, runbooks: runbookCount,
                            profiles: profileCount, invalidFiles: invalid)
        // Every tree of the batch dies here; freeing them is a serial tail nobody waits for.
        let leftovers = Leftovers()
        leftovers.items = [loaded, contexts, byDirectory, loadedRunbooks]
        (loaded, contexts, byDirectory, loadedRunbooks) = ([], [], [:], [:])
        releaseInBackground(leftovers)
        return result
    }

    /// A runbook is as valid as the runbooks it can reach (`RunbookGraph`: a run stops on their
    /// errors), so `validate parent.yaml` also reports a called `child.yaml`'s problems, each once.
    /// Runbooks of the batch are validated anyway: a graph is built only for a runbook that calls
    /// one outside it, so validating a whole directory costs nothing more.
    static func reachableOutsideBatch(loaded: [Loaded], contexts: [RuleContext?], batch: Set<String>,
                                      sources: inout [String: String]) -> [Diagnostic] {
        var validated = batch
        var out: [Diagnostic] = []
        for (l, context) in zip(loaded, contexts) {
            guard case .runbook(let r) = l, let root = r.runbook, let context,
                  root.runbookRunTargets.contains(where: { context.runbooks[$0].map { !validated.contains(pathKey($0.path)) } ?? false })
            else { continue }
            let graph = RunbookGraph(root: root, available: context.runbooks)
            for callee in graph.members.dropFirst() where validated.insert(pathKey(callee.path)).inserted {
                out += Validator.validate(callee, in: context)
                sources[callee.path] = try? String(contentsOfFile: callee.path, encoding: .utf8)
            }
        }
        return out
    }

    /// Values to free off the caller's path.
    final class Leftovers: @unchecked Sendable {
        var items: [Any] = []
    }

    /// Drops `leftovers`' values on another thread, so the caller (rendering, then exiting)
    /// does not wait for a large batch's trees to be freed one node at a time.
    static func releaseInBackground(_ leftovers: Leftovers) {
        DispatchQueue.global(qos: .utility).async { leftovers.items = [] }
    }

    /// A cheap normal form for paths as this tool builds them (`dir/name.yaml`, `./x`),
    /// so a file named twice is loaded once; Foundation's standardizingPath touches the disk.
    static func pathKey(_ path: String) -> String {
        isNormal(path) ? path : pathKeySplitting(path)
    }

    static func pathKeySplitting(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." { parts.append(part) }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// True when `pathKey` would return `path` unchanged: no empty or `.` component, no
    /// trailing slash. Keys are made for every file of a batch, twice.
    static func isNormal(_ path: String) -> Bool {
        var segment = 0, dotOnly = false, first = true
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                if (segment == 0 && !first) || dotOnly { return false }
                segment = 0; dotOnly = false; first = false
                continue
            }
            dotOnly = segment == 0 && byte == UInt8(ascii: ".")
            segment += 1
        }
        return segment > 0 && !dotOnly
    }

    /// The same problem found twice (e.g. a file named twice) is reported once.
    static func unique(_ diags: [Diagnostic]) -> [Diagnostic] {
        var seen: Set<Diagnostic> = []
        return diags.filter { seen.insert($0).inserted }
    }
}
