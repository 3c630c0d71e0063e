import RunbookCore

/// Inputs shared by most postgres actions, declared once so they read the same everywhere.
enum PostgresInputs {
    static let target = InputSpec("target", .target(.postgres), required: true,
                                  "The PostgreSQL server: a postgres target of the profile (local, compose exec, or ssh).")

    static func database(_ summary: String, required: Bool = true) -> InputSpec {
        InputSpec("database", .identifier, required: required, summary)
    }

    /// The directory holding artifacts and their `manifest.json`.
    static func backupDirectory(required: Bool = true) -> InputSpec {
        InputSpec("dir", .path, required: required, "Backup directory; artifacts and manifest.json live here.")
    }

    /// The database to connect to: the input if given, else the target's maintenance database.
    static func database(_ call: ResolvedCall, default endpoint: PostgresEndpoint) -> String {
        call.optionalString("database") ?? endpoint.target.maintenanceDatabase
    }
}
