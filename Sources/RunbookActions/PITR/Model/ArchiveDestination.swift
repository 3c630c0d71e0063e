import RunbookCore

/// Where `pitr.configure-archiving` and `pitr.archive-receives` send WAL: a directory on the
/// server's machine (`archive_dir`), or the offsite repository (`repository`) through
/// `runbook wal-push`, which reads the repository's configuration from a private file on the
/// server's machine (`wal_config`).
enum ArchiveDestination {
    case directory(String)
    case repository(RepositoryTarget, binary: String, config: String)

    static let inputs = [
        InputSpec("repository", .target(.repository), "Archive to this repository (offsite, encrypted) with `runbook wal-push` instead of a directory; give either this or archive_dir."),
        InputSpec("runbook_binary", .path, default: .string("/usr/local/bin/runbook"), "With repository: the static `runbook` binary on the server's machine (for compose, inside the postgres container, e.g. a read-only bind mount)."),
        InputSpec("wal_config", .path, default: .string("/var/lib/postgresql/data/runbook-wal.json"), "With repository: where the repository configuration (credentials, recipients; no identity) is written on the server's machine, 0600 and owned by the server user; for compose on a volume (the default is on the official image's data volume)."),
    ]

    init(_ call: ResolvedCall) throws {
        let dir = call.optionalString("archive_dir").flatMap { $0.isEmpty ? nil : $0 }
        switch (dir, call.targets["repository"]) {
        case (let dir?, nil):
            try ArchiveCommands.validate(archiveDir: dir)
            self = .directory(dir)
        case (nil, .some):
            let binary = try call.string("runbook_binary"), config = try call.string("wal_config")
            try ArchiveCommands.validate(archiveDir: binary, input: "runbook_binary")
            try ArchiveCommands.validate(archiveDir: config, input: "wal_config")
            self = .repository(try call.target("repository", as: RepositoryTarget.self), binary: binary, config: config)
        case (.some, .some):
            throw ActionInputError.invalid("repository", "give either archive_dir or repository, not both")
        case (nil, nil):
            throw ActionInputError.missing("archive_dir")
        }
    }

    /// The archive_command PostgreSQL runs.
    var archiveCommand: String {
        switch self {
        case .directory(let dir): return ArchiveCommands.archiveCommand(archiveDir: dir)
        case .repository(_, let binary, let config): return "\(binary) wal-push --config \(config) %p"
        }
    }
}
