import Foundation

/// The per-database and roles facts of `runbook info`, from a list of dump records: the local
/// manifest's, or the records the offsite repository keeps in each entry's metadata. One
/// function for both, so "newest verified", "kept" and "last restore test" mean the same thing
/// on both sides.
enum DumpSummary {
    static func summarize(_ records: [DumpRecord], now: Date) -> (databases: [DatabaseBackups], globals: GlobalsBackups?) {
        func age(_ date: Date) -> Double { (now.timeIntervalSince(date) * 1000).rounded() / 1000 }
        func artifact(_ r: DumpRecord) -> BackupArtifact {
            BackupArtifact(path: r.path, finishedAt: r.finishedAt, ageSeconds: age(r.finishedAt), sizeBytes: r.size,
                           format: r.format.rawValue, verified: r.verified)
        }
        func newest(_ candidates: [DumpRecord]) -> DumpRecord? {
            candidates.filter { $0.verified && $0.isLocal }.max { ($0.finishedAt, $0.path) < ($1.finishedAt, $1.path) }
        }
        let byDatabase = Dictionary(grouping: records.filter { $0.kind == .database }, by: \.database)
        let databases = byDatabase.keys.sorted().map { name -> DatabaseBackups in
            let records = byDatabase[name] ?? []
            let latest = newest(records)
            let tests = records.flatMap { r in r.restoreTests.map { (r.path, $0) } }
            let lastTest = tests.max { $0.1.at < $1.1.at }.map { path, t in
                RestoreTestSummary(artifact: path, at: t.at, ageSeconds: age(t.at), passed: t.passed, restoreSeconds: t.restoreSeconds)
            }
            return DatabaseBackups(database: name, newest: latest.map(artifact), kept: records.count,
                                   lastChecksum: latest?.finishedAt, lastRestoreTest: lastTest)
        }
        let globalRecords = records.filter { $0.kind == .globals }
        let globals = globalRecords.isEmpty ? nil : GlobalsBackups(
            newest: globalRecords.filter(\.verified).max { ($0.finishedAt, $0.path) < ($1.finishedAt, $1.path) }.map(artifact),
            kept: globalRecords.count)
        return (databases, globals)
    }
}
