import RunbookCore
import RunbookEngine

/// The `compose.*` actions and checks.
public enum ComposeActions {
    public static let all: [any ExecutableAction] = []
}
