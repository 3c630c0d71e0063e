import Foundation

/// The dumps a repository namespace lists, each with the local manifest's `DumpRecord` its
/// pusher put in the entry's `record` metadata (docs/repository.md): what a restoring host
/// chooses from, by the records' finish times, never by object names or push times.
struct DumpCatalog {
    static let defaultNamespace = "dumps"
    static let recordKey = "record"

    struct Item {
        /// `dumps/NAME`.
        var name: String
        var entry: RepositoryManifest.Entry
        var record: DumpRecord

        /// For people: the name, what it holds, when its dump finished, its size.
        var summary: String {
            let what = record.kind == .globals ? "roles (globals dump)" : record.database
            return "\(name) (\(what), finished \(ManifestTime.format(record.finishedAt)), \(record.size) bytes)"
        }
    }

    struct CatalogError: Error, CustomStringConvertible {
        var description: String
    }

    var namespace: String
    var location: String
    var items: [Item]
    /// Entries listed without a readable `record` (not dumps of ours, or damaged metadata).
    var unreadable: [String]

    init(namespace: String, location: String, entries: [String: RepositoryManifest.Entry]) {
        self.namespace = namespace
        self.location = location
        var items: [Item] = []
        var unreadable: [String] = []
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard let json = entry.metadata?[Self.recordKey],
                  let record = try? DumpManifest.decoder().decode(DumpRecord.self, from: Data(json.utf8)) else {
                unreadable.append(name)
                continue
            }
            items.append(Item(name: name, entry: entry, record: record))
        }
        self.items = items
        self.unreadable = unreadable
    }

    /// The newest verified dump of each database (by finish time), and the newest verified
    /// globals dump when `globals`; an error names every database that has none.
    func newest(databases: [String], globals: Bool) throws -> [Item] {
        var chosen: [Item] = []
        var missing: [String] = []
        let wanted = databases.map { ($0, DumpRecord.Kind.database) } + (globals ? [("globals", .globals)] : [])
        for (database, kind) in wanted {
            let candidates = items.filter { $0.record.kind == kind && (kind == .globals || $0.record.database == database) }
            if let newest = candidates.filter(\.record.verified).max(by: { ($0.record.finishedAt, $0.name) < ($1.record.finishedAt, $1.name) }) {
                chosen.append(newest)
            } else {
                let what = kind == .globals ? "no globals dump (roles)" : "no dump of \(database)"
                missing.append(candidates.isEmpty ? what : "\(what) that is verified (\(candidates.count) unverified)")
            }
        }
        guard missing.isEmpty else {
            let note = unreadable.isEmpty ? "" : "; \(unreadable.count) listed object(s) carry no readable record: \(unreadable.prefix(5).joined(separator: ", "))"
            throw CatalogError(description: "the repository \(location) has \(missing.joined(separator: ", ")) in namespace \(namespace)\(note)")
        }
        return chosen
    }

    /// Exactly these objects; each must be listed with a record.
    func items(named names: [String]) throws -> [Item] {
        try names.map { name in
            guard let item = items.first(where: { $0.name == name }) else {
                let why = unreadable.contains(name) ? "is listed without a readable record" : "is not listed in its manifest"
                throw CatalogError(description: "\(name) \(why) in the repository \(location)")
            }
            return item
        }
    }
}

extension RepositoryStore {
    /// The namespace's dumps, read from its manifest (plaintext: no identity needed).
    func dumpCatalog(namespace: String) async throws -> DumpCatalog {
        DumpCatalog(namespace: namespace, location: "s3://\(config.bucket)/\(config.prefix) at \(config.endpoint)",
                    entries: try await entries(namespace: namespace))
    }
}
