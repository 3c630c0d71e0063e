import RunbookCore
import RunbookEngine

/// The `notify.*` actions.
public enum NotifyActions {
    public static let all: [any ExecutableAction] = [
        NotifyWebhook(),
    ]
}
