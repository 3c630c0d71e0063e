import RunbookCore
import RunbookEngine

/// The `postgres.*` actions and checks. They drive the PostgreSQL client tools (psql,
/// pg_dump, pg_dumpall, pg_restore, pg_isready) through the target's transport: on this
/// host, or inside a compose service via `docker compose exec -T`.
public enum PostgresActions {
    public static let all: [any ExecutableAction] = [
        WaitReady(),
        RunSQL(),
        QueryCheck(),
        CreateDatabase(),
        DropDatabase(),
        RecreateDatabase(),
        Dump(),
        DumpGlobals(),
        RestoreGlobals(),
        LatestBackup(),
        VerifyArtifact(),
        Restore(),
        VerifyRestore(),
        RecordVerification(),
        Retention(),
        RepositoryRetention(),
    ]
}
