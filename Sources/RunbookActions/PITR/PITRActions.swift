import RunbookCore
import RunbookEngine

/// The `pitr.*` actions and checks: WAL archiving, base backups and point-in-time recovery
/// the PostgreSQL 12+ way (restore_command + recovery.signal + recovery_target_action).
/// The `pitr` runbook strings the recovery together from the small steps, so `plan` shows
/// each one and every destructive one can be confirmed and rolled back on its own.
public enum PITRActions {
    public static let all: [any ExecutableAction] = [
        ConfigureArchiving(),
        ArchiveReceives(),
        BaseBackup(),
        ChooseBackup(),
        FetchBaseBackup(),
        TargetNotFuture(),
        ArchiveCovers(),
        StopServer(),
        StartServer(),
        MoveAside(),
        UnpackBaseBackup(),
        WriteRecoveryConfig(),
        Recover(),
        Recovered(),
        RestoreOriginal(),
        PruneWAL(),
        BaseBackupRetention(),
    ]
}
