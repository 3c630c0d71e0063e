import RunbookCore
import RunbookEngine

/// The `http.*` actions and checks.
public enum HTTPActions {
    public static let all: [any ExecutableAction] = []
}
