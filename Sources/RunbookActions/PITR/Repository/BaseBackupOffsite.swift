import Foundation
import RunbookCore
import RunbookEngine

/// Base backups in the offsite repository: the `base` namespace, one entry per file of a
/// backup (`base/ID/base.tar.gz`, ...), each carrying the backup's catalog record (the same
/// JSON as its `catalog.json` entry) in the metadata key `record`. A backup is complete in the
/// repository when every file its record lists is listed with that record; anything else is a
/// push that did not finish and is never chosen.
enum BaseBackupOffsite {
    static let namespace = "base"

    static let repositoryInput = InputSpec("repository", .target(.repository),
                                           "The offsite repository (a `repository` target); none: local only.")
    static let keepLocalInput = InputSpec("keep_local", .bool, default: .bool(true),
                                          "With repository: also keep the backup in backup_dir. false streams pg_basebackup's tar output straight to the repository, with no copy on disk.")
    static let identityInput = InputSpec("identity", .secret,
                                         "With repository: the age identity file's text, as `${secrets.NAME}`: resolved in-process, never on a command line, in a plan or a log.")

    static func entryName(id: String, file: String) -> String { "\(namespace)/\(id)/\(file)" }

    /// The entry metadata of every file of `record`.
    static func metadata(_ record: BaseBackupRecord) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ["record": String(decoding: try encoder.encode(record), as: UTF8.self)]
    }

    /// The complete backups the namespace's entries describe, and the ids of incomplete ones.
    static func catalog(_ entries: [String: RepositoryStore.Pushed]) -> (catalog: BaseBackupCatalog, incomplete: [String]) {
        var records: [String: BaseBackupRecord] = [:]
        var ids = Set<String>()
        for (name, entry) in entries {
            let parts = name.split(separator: "/", maxSplits: 2).map(String.init)
            guard parts.count == 3, parts[0] == namespace else { continue }
            ids.insert(parts[1])
            guard let text = entry.metadata?["record"],
                  let record = try? JSONDecoder().decode(BaseBackupRecord.self, from: Data(text.utf8)), record.id == parts[1] else { continue }
            records[record.id] = record
        }
        var complete: [BaseBackupRecord] = []
        for record in records.values {
            let listed = record.files.allSatisfy { file in
                entries[entryName(id: record.id, file: file)]?.metadata?["record"].flatMap {
                    try? JSONDecoder().decode(BaseBackupRecord.self, from: Data($0.utf8))
                } == record
            }
            if listed { complete.append(record) }
        }
        let done = Set(complete.map(\.id))
        return (BaseBackupCatalog(backups: complete.sorted { $0.stopTime < $1.stopTime }), ids.subtracting(done).sorted())
    }

    /// The repository call's store, with the credentials from the run's secrets.
    static func store(_ call: ResolvedCall, _ context: RunContext) throws -> RepositoryStore {
        try RepositoryStore(config: config(call, context))
    }

    static func config(_ call: ResolvedCall, _ context: RunContext) throws -> RepositoryConfig {
        try RepositoryConfig(target: try call.target("repository", as: RepositoryTarget.self), secrets: context.secrets)
    }

    /// `s3://bucket/prefix at endpoint`, for plans and messages (never the credentials).
    static func location(_ call: ResolvedCall) throws -> String {
        let target = try call.target("repository", as: RepositoryTarget.self)
        return "repository \"\(try call.target("repository").name)\" (\(target.location) at \(target.endpoint))"
    }
}
