import RunbookCore
import RunbookEngine

/// The `http.*` checks.
public enum HTTPActions {
    public static let all: [any ExecutableAction] = [
        HTTPCheck(),
    ]
}
