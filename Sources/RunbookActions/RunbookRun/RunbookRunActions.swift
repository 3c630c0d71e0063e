import RunbookCore
import RunbookEngine

/// `runbook.run`: one runbook calling another, so disaster recovery is made of
/// the smaller runbooks instead of copies of them.
public enum RunbookRunActions {
    public static let all: [any ExecutableAction] = [RunbookRun()]
}
