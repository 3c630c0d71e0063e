import Foundation
import RunbookCore
import RunbookEngine

/// Cleans a backup directory of what killed dumps left, before the next dump into it.
///
/// Every dump claims its artifact first: `.NAME.inflight` beside it names the run writing
/// `NAME.partial` and, later, `NAME`. The claim goes when the artifact is recorded in the
/// manifest (or removed after a failure), so a claim that outlives its run marks exactly the
/// files a `kill -9` left: the sweep removes `NAME.partial`, and `NAME` unless the manifest
/// lists it, when the claiming run is not alive (`LiveRuns`: its lock's holder pid is gone).
/// A `NAME.partial` of a dump format without any claim (an older runbook's) goes too when no
/// other run is alive. Nothing else in the directory is touched: a file runbook did not start
/// is never removed. Each removal is recorded in the audit trail and shown in the log.
struct OrphanSweep {
    var directory: String
    var store: ManifestStore
    /// The artifact the current dump writes next.
    var nextArtifact: String
    /// Lists the directory; a seam for tests, which show a listing taken mid-change.
    var list: (String) -> [String] = { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }

    static let claimSuffix = ".inflight"
    static func claimPath(directory: String, name: String) -> String {
        (directory as NSString).appendingPathComponent("." + name + claimSuffix)
    }

    /// What a claim file holds.
    struct Claim: Codable {
        var runID: String
        var pid: Int32
        enum CodingKeys: String, CodingKey {
            case runID = "run_id"
            case pid
        }
    }

    /// Writes (and fsyncs) the claim on `name` for this run, before its `.partial` exists.
    ///
    /// The claim appears whole, by rename: a sweep running beside it (another member of the
    /// same `for_each`, or another run) must never read a half-written claim, which it would
    /// take for one cut short by a kill, and remove the dump being written.
    static func claim(directory: String, name: String, runID: String) throws {
        let data = try JSONEncoder().encode(Claim(runID: runID, pid: getpid()))
        let path = claimPath(directory: directory, name: name)
        let staging = (directory as NSString).appendingPathComponent("." + name + claimSuffix + stagingSuffix)
        try DurableFiles.writeAndSync(data, to: staging)
        try DurableFiles.rename(staging, to: path)
    }

    /// A claim being written; it has no `claimSuffix`, so no sweep ever reads it as a claim.
    static let stagingSuffix = ".writing"

    static func release(directory: String, name: String) {
        DurableFiles.remove(claimPath(directory: directory, name: name))
    }

    func run(in context: RunContext) {
        let entries = list(directory)
        let live = LiveRuns.ids(stateDirectory: context.plan.stateDir).union([context.plan.runID])
        let listed = Set(((try? store.read())?.artifacts ?? []).map(\.path))
        var claimed: Set<String> = []
        for entry in entries where entry.hasPrefix(".") && entry.hasSuffix(Self.claimSuffix) {
            let name = String(entry.dropFirst().dropLast(Self.claimSuffix.count))
            claimed.insert(name)
            let claimFile = (directory as NSString).appendingPathComponent(entry)
            let claim = (try? Data(contentsOf: URL(fileURLWithPath: claimFile))).flatMap { try? JSONDecoder().decode(Claim.self, from: $0) }
            // An unreadable claim was cut short by the kill that orphaned it: its run is gone too.
            // The claim on the artifact about to be written, by this very run, is an earlier
            // attempt's (a resumed run repeats the step): what it left goes as well.
            let earlierAttempt = name == nextArtifact && claim?.runID == context.plan.runID
            if let claim, live.contains(claim.runID), !earlierAttempt { continue }
            let owner = earlierAttempt ? "an earlier attempt of this run"
                : claim.map { "run \($0.runID), which is no longer running" } ?? "a run killed while claiming it"
            remove(name + ".partial", because: "an unfinished dump left by \(owner)", context)
            remove(name + ".partial.partial", because: "an unfinished dump left by \(owner)", context)
            if !listed.contains(name) {
                remove(name, because: "left by \(owner) before it was recorded in \(store.path)", context)
            }
            DurableFiles.remove(claimFile)
        }
        removeStaleStagedClaims(entries)
        guard live.count == 1 else { return }
        for entry in entries where entry.hasSuffix(".partial") && !entry.hasPrefix(".") {
            var base = entry
            while base.hasSuffix(".partial") { base = String(base.dropLast(".partial".count)) }
            guard !claimed.contains(base), DumpFormat.allCases.contains(where: { base.hasSuffix($0.fileExtension) }) else { continue }
            // The listing is not a snapshot: a dump starting beside this sweep (another member
            // of the same for_each) can show its new `.partial` here and not the claim it wrote
            // just before. Its claim is on disk by now, so look again.
            guard !DurableFiles.exists(Self.claimPath(directory: directory, name: base)) else { continue }
            remove(entry, because: "an unfinished dump no run claims, and no other run is alive", context)
        }
    }

    /// A claim is staged for microseconds; one older than a minute was cut short by a kill.
    private func removeStaleStagedClaims(_ entries: [String]) {
        let staged = Self.claimSuffix + Self.stagingSuffix
        for entry in entries where entry.hasPrefix(".") && entry.hasSuffix(staged) {
            let path = (directory as NSString).appendingPathComponent(entry)
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
            if let modified, Date().timeIntervalSince(modified) > 60 { DurableFiles.remove(path) }
        }
    }

    private func remove(_ name: String, because reason: String, _ context: RunContext) {
        let path = (directory as NSString).appendingPathComponent(name)
        guard DurableFiles.exists(path) else { return }
        let size = (try? DurableFiles.size(path)) ?? 0
        guard DurableFiles.remove(path) else {
            context.log("warning: cannot remove \(path) (\(reason))\n")
            return
        }
        context.log("removed \(path) (\(size) bytes): \(reason)\n")
        context.audit("postgres.orphan-removed", ["path": .string(path), "size": .int(Int(size)), "reason": .string(reason)])
    }
}
