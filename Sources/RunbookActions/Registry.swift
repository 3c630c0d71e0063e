import RunbookCore
import RunbookEngine

/// Every action and check this binary knows, as a plain list: one entry per family,
/// each family's list living in its own folder.
public enum Registry {
    public static var all: [any ExecutableAction] {
        ShellActions.all + FileActions.all + PostgresActions.all + ComposeActions.all
            + S3Actions.all + HTTPActions.all + RunbookRunActions.all + PITRActions.all
    }

    public static var catalog: ActionCatalog { ActionCatalog(all) }

    public static func executable(_ name: String) -> (any ExecutableAction)? {
        all.first { $0.spec.name == name }
    }
}
