import RunbookCore
import RunbookEngine

/// The `shell.*` actions and checks.
public enum ShellActions {
    public static let all: [any ExecutableAction] = []
}
