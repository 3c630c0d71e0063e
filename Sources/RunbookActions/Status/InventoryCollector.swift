import Foundation
import RunbookEngine

/// Reads the backups of `BackupLocations` into a `BackupInventory`. Only files: manifests,
/// catalogs, directory listings and journals. A part that cannot be read becomes a problem
/// line, so one bad manifest does not hide the rest.
public struct InventoryCollector: Sendable {
    public var locations: BackupLocations
    public var journals: [RunJournal]
    public var profile: String?
    /// The profile's offsite repository, when it has one.
    public var offsite: OffsiteRepositoryReader?
    public var now: Date

    public init(locations: BackupLocations, journals: [RunJournal], profile: String?, offsite: OffsiteRepositoryReader? = nil,
                now: Date = Date()) {
        self.locations = locations
        self.journals = journals
        self.profile = profile
        self.offsite = offsite
        self.now = now
    }

    /// Every journal of the state directory (unreadable ones are left out, as `history` does).
    public static func journals(in state: StateDirectory) -> [RunJournal] {
        state.runIDs().compactMap { try? JournalStore.load(path: state.journalPath($0)) }
    }

    /// Reads everything; the offsite repository (network) while the local files are read.
    public func collect() async -> BackupInventory {
        let offsite = self.offsite
        let now = self.now
        async let remote: OffsiteRepositoryState = offsite?.read(now: now) ?? .notConfigured
        var problems: [String] = []
        var databases: [DatabaseBackups] = []
        var globals: GlobalsBackups?
        do {
            (databases, globals) = try dumps()
        } catch {
            problems.append("\(error)")
        }
        var wal: WALArchiveState?
        do { wal = try walArchive() } catch { problems.append("\(error)") }
        var media: MediaMirrorState?
        do { media = try mediaMirror() } catch { problems.append("\(error)") }
        let repository = await remote
        if let problem = repository.problem {
            problems.append("offsite repository \(repository.location ?? repository.target ?? ""): \(problem)")
        }
        if !repository.unreadableEntries.isEmpty {
            problems.append("offsite repository: \(repository.unreadableEntries.count) dumps/ entries carry no readable record: "
                            + repository.unreadableEntries.prefix(5).joined(separator: ", "))
        }
        return BackupInventory(generatedAt: now, profile: profile, locations: locations, databases: databases, globals: globals,
                               walArchive: wal, media: media, offsite: repository,
                               runs: newestRuns(), problems: problems)
    }

    // MARK: - Dumps

    func dumps() throws -> ([DatabaseBackups], GlobalsBackups?) {
        let manifest = try ManifestStore(directory: locations.dumps.path).read()
        return DumpSummary.summarize(manifest.artifacts, now: now)
    }

    private func age(_ date: Date) -> Double { (now.timeIntervalSince(date) * 1000).rounded() / 1000 }

    // MARK: - WAL archive and base backups

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    func walArchive() throws -> WALArchiveState? {
        let dir = locations.walArchive.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { return nil }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dir)
        } catch {
            throw ReadError(description: "cannot list the WAL archive \(dir): \(error.localizedDescription)")
        }
        let catalog = try baseBackupCatalog()
        let segmentSize = catalog?.backups.first?.walSegmentSize ?? WALSegment.defaultSize
        let segments = names.compactMap { name -> WALSegment? in
            if case .segment(let s) = ArchiveFile(name: name, segmentSize: segmentSize) { return s }
            return nil
        }.sorted()
        var lastArchivedAt: Date?
        if let last = segments.last {
            let attributes = try? FileManager.default.attributesOfItem(atPath: (dir as NSString).appendingPathComponent(last.fileName))
            lastArchivedAt = attributes?[.modificationDate] as? Date
        }
        let bases = (catalog?.backups ?? []).sorted { $0.stopTime < $1.stopTime }.map { BaseBackupState($0, archiveNames: names) }
        return WALArchiveState(segments: segments.count, lastSegment: segments.last?.fileName, lastArchivedAt: lastArchivedAt,
                               lagSeconds: lastArchivedAt.map(age), gaps: Self.gaps(segments), baseBackups: bases)
    }

    /// Missing segment names between the first and last segment of the newest timeline (at most 10).
    static func gaps(_ sorted: [WALSegment]) -> [String] {
        guard let newest = sorted.last else { return [] }
        let numbers = sorted.filter { $0.timeline == newest.timeline }.map(\.number)
        guard let first = numbers.first else { return [] }
        let present = Set(numbers)
        var out: [String] = []
        var n = first
        while n < newest.number, out.count < 10 {
            if !present.contains(n) { out.append(WALSegment(timeline: newest.timeline, number: n, size: newest.size).fileName) }
            n += 1
        }
        return out
    }

    func baseBackupCatalog() throws -> BaseBackupCatalog? {
        let path = (locations.baseBackups.path as NSString).appendingPathComponent(BaseBackupCatalog.fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try BaseBackupCatalog.decode(data)
        } catch {
            throw ReadError(description: "\(path) is not a base-backup catalog: \(error)")
        }
    }

    // MARK: - Media mirror

    func mediaMirror() throws -> MediaMirrorState? {
        let path = (locations.media.path as NSString).appendingPathComponent("media/manifest.json")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let manifest = try Manifest.load(path: path)
        let created = Instant.parse(manifest.createdAt)?.date
        return MediaMirrorState(manifest: path, source: manifest.source, objects: manifest.count, totalBytes: manifest.totalBytes,
                                createdAt: created, ageSeconds: created.map(age))
    }

    // MARK: - Runs

    func newestRuns() -> [RunSummary] {
        let newest = Dictionary(grouping: journals, by: \.runbook).compactMapValues { runs in
            runs.max { ($0.startedAt, $0.runID) < ($1.startedAt, $1.runID) }
        }
        return newest.keys.sorted().compactMap { newest[$0] }.map { j in
            RunSummary(runbook: j.runbook, runID: j.runID, status: j.status.rawValue, startedAt: j.startedAt, endedAt: j.endedAt,
                       durationSeconds: (j.duration * 1000).rounded() / 1000, rtoSeconds: j.rto?.seconds,
                       rtoTargetSeconds: j.rto?.targetSeconds, rtoMet: j.rto?.met)
        }
    }
}
