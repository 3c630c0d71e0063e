import RunbookCore
import RunbookEngine

/// Every action, check and target kind this binary knows, as a plain list: one entry per family,
/// each family's list living in its own folder.
public enum Registry {
    public static var all: [any ExecutableAction] {
        ShellActions.all + FileActions.all + PostgresActions.all + ComposeActions.all
            + S3Actions.all + HTTPActions.all + RunbookRunActions.all + PITRActions.all
            + NotifyActions.all + MediaRepositoryActions.all + RepositoryRestoreActions.all
    }

    /// Each element is converted on its own: converting the array as a whole casts every
    /// element dynamically (a protocol-conformance lookup each), which showed in start-up.
    public static var catalog: ActionCatalog { ActionCatalog(all.map { $0 as any ActionDefinition }) }

    /// Every target kind this binary knows, each declared in its family's folder; the order
    /// is the order of `runbook schema profile` and docs/format.md.
    public static let targetKinds = TargetKindCatalog([
        PostgresTarget.kind, ComposeTarget.kind, S3Target.kind, HTTPTarget.kind, SSHTarget.kind, RepositoryTarget.kind,
        NotificationTarget.kind, MetricsTarget.kind, HostGroup.kind,
    ])

    public static func executable(_ name: String) -> (any ExecutableAction)? {
        all.first { $0.spec.name == name }
    }
}
