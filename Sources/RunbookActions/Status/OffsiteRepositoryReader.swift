import Foundation
import RunbookCore
import RunbookEngine

/// Reads the profile's offsite repository for `runbook info` and the metrics file: the `dumps/`
/// `media/` and `base/` manifests (plaintext JSON) and the WAL archive's listing. It resolves only the
/// target's access credentials (`repo_access_key`, `repo_secret_key` in the shipped profiles),
/// from the environment or their files as a run does, and never the identity: nothing is
/// decrypted, so `info` works on the backed-up host, which holds only the recipient.
///
/// Never throws: an unreachable server, rejected credentials or a missing secret become the
/// state's `problem`, naming the endpoint and never a secret's value.
public struct OffsiteRepositoryReader: Sendable {
    /// The target read: the one named `offsite` when it is a repository, else the first repository target.
    public var targetName: String
    public var target: RepositoryTarget
    /// The profile's secret declarations for the target's credentials (only those).
    public var credentialSecrets: [SecretDecl]
    public var environment: [String: String]
    /// The whole read gives up after this long (a host that drops packets would otherwise hold
    /// `info` for the HTTP client's read timeout of two minutes per request).
    public var timeoutSeconds: Double

    public static let defaultTimeoutSeconds: Double = 30

    /// The profile's repository target, or nil when it has none.
    public init?(profile: Profile?, environment: [String: String] = ProcessInfo.processInfo.environment,
                 timeoutSeconds: Double = OffsiteRepositoryReader.defaultTimeoutSeconds) {
        let repositories = (profile?.targets ?? []).compactMap { decl in
            decl.binding.configuration(as: RepositoryTarget.self).map { (decl.name, $0) }
        }
        guard let chosen = repositories.first(where: { $0.0 == "offsite" }) ?? repositories.first else { return nil }
        targetName = chosen.0
        target = chosen.1
        let names = Set(chosen.1.secretNames)
        credentialSecrets = (profile?.secrets ?? []).filter { names.contains($0.name) }
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
    }

    var location: String { "\(target.location) at \(target.endpoint)" }

    public func read(now: Date) async -> OffsiteRepositoryState {
        let config: RepositoryConfig
        do {
            config = try RepositoryConfig(target: target, secrets: try credentials())
        } catch {
            return .unreadable(target: targetName, location: location, problem: "\(error)")
        }
        do {
            let contents = try await Self.withDeadline(timeoutSeconds, endpoint: target.endpoint) {
                try await Self.contents(of: config)
            }
            return state(contents, now: now)
        } catch {
            return .unreadable(target: targetName, location: location, problem: "\(error)")
        }
    }

    /// The credential secrets, resolved as a run resolves them (environment, then 0600 file).
    func credentials() throws -> [String: String] {
        let declared = Set(credentialSecrets.map(\.name))
        if let undeclared = target.secretNames.first(where: { !declared.contains($0) }) {
            throw ReadProblem(description: "secret \"\(undeclared)\" (the repository's credential) is not declared in the profile's secrets")
        }
        switch SecretResolver.resolve(credentialSecrets, environment: environment) {
        case .success(let values): return values
        case .failure(let failures): throw ReadProblem(description: failures.items.map(\.description).joined(separator: "; "))
        }
    }

    struct ReadProblem: Error, CustomStringConvertible {
        var description: String
    }

    /// What the repository lists, undecrypted.
    struct Contents {
        var dumps: [String: RepositoryManifest.Entry]
        var media: [String: RepositoryManifest.Entry]
        var base: [String: RepositoryManifest.Entry] = [:]
        var wal: [WALArchive.Stored]
        var newestSegmentModified: Date?
    }

    static func contents(of config: RepositoryConfig) async throws -> Contents {
        try await RepositoryStore.using(config) { store in
            async let dumps = store.entries(namespace: DumpCatalog.defaultNamespace)
            async let media = store.entries(namespace: MediaIndex.namespace)
            async let base = store.entries(namespace: BaseBackupOffsite.namespace)
            let archive = try WALArchive(config: config)
            do {
                let wal = try await archive.list()
                let newest = Self.segments(wal).last
                var modified: Date?
                if let newest { modified = try await archive.client.lastModified(bucket: config.bucket, key: newest.key) }
                await archive.shutdown()
                return Contents(dumps: try await dumps, media: try await media, base: try await base, wal: wal, newestSegmentModified: modified)
            } catch {
                await archive.shutdown()
                throw error
            }
        }
    }

    /// Complete segments only, oldest first (timeline, then number).
    static func segments(_ stored: [WALArchive.Stored]) -> [WALArchive.Stored] {
        stored.compactMap { s -> (WALSegment, WALArchive.Stored)? in
            if case .segment(let segment) = ArchiveFile(name: s.name) { return (segment, s) }
            return nil
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    func state(_ contents: Contents, now: Date) -> OffsiteRepositoryState {
        func age(_ date: Date) -> Double { (now.timeIntervalSince(date) * 1000).rounded() / 1000 }
        let catalog = DumpCatalog(namespace: DumpCatalog.defaultNamespace, location: location, entries: contents.dumps)
        let (databases, globals) = DumpSummary.summarize(catalog.items.map(\.record), now: now)
        let media: OffsiteMediaState? = contents.media.isEmpty ? nil : {
            let objects = contents.media.filter { !MediaIndex.isIndex($0.key) }
            let lastPush = contents.media.filter { MediaIndex.isIndex($0.key) }.values
                .compactMap { ISO8601DateFormatter().date(from: $0.pushedAt) }.max()
            return OffsiteMediaState(objects: objects.count, totalBytes: objects.values.reduce(0) { $0 + $1.plaintextSize },
                                     lastPushAt: lastPush, ageSeconds: lastPush.map(age))
        }()
        let segments = Self.segments(contents.wal)
        let wal: OffsiteWALState? = contents.wal.isEmpty ? nil : OffsiteWALState(
            segments: segments.count, lastSegment: segments.last?.name, lastArchivedAt: contents.newestSegmentModified,
            lagSeconds: contents.newestSegmentModified.map(age))
        let count = catalog.items.count
        let base = OffsiteBaseBackupsState.read(entries: contents.base, walNames: contents.wal.map(\.name), now: now)
        return OffsiteRepositoryState(configured: true, target: targetName, location: location, readable: true, problem: nil,
                                      databases: databases, globals: globals, media: media, wal: wal, baseBackups: base,
                                      unreadableEntries: catalog.unreadable,
                                      note: "read \(count) dump\(count == 1 ? "" : "s") without decrypting anything")
    }

    /// `body`, or an `unreachable` error naming the endpoint when it takes longer than `seconds`.
    static func withDeadline<T: Sendable>(_ seconds: Double, endpoint: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw S3Error.unreachable(endpoint: endpoint, reason: "no answer within \(AgeText.format(seconds))")
            }
            return value
        }
    }
}
