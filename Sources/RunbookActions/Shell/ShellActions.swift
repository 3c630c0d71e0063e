import RunbookCore
import RunbookEngine

/// The `shell.*` actions and checks.
///
/// There is deliberately no shell check: `require:`/`verify:` take typed checks,
/// so a precondition says what it means instead of hiding in a script.
public enum ShellActions {
    public static let all: [any ExecutableAction] = [ShellRun()]
}
