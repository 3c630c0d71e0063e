import RunbookCore
import RunbookEngine

/// The `file.*` actions and checks.
public enum FileActions {
    public static let all: [any ExecutableAction] = []
}
