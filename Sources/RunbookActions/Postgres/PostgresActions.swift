import RunbookCore
import RunbookEngine

/// The `postgres.*` actions and checks.
public enum PostgresActions {
    public static let all: [any ExecutableAction] = []
}
