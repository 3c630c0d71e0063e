import RunbookCore
import RunbookEngine

/// The `runbook.run` action: one runbook calling another.
public enum RunbookRunActions {
    public static let all: [any ExecutableAction] = []
}
