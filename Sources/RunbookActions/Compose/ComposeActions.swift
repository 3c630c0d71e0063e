import RunbookCore
import RunbookEngine

/// The `compose.*` actions and checks: docker compose v2, always as argv.
public enum ComposeActions {
    public static let all: [any ExecutableAction] = [
        ComposeUp(),
        ComposeVerb("stop", summary: "Stop services (docker compose stop) without removing them.", timeout: true),
        ComposeVerb("start", summary: "Start stopped services (docker compose start)."),
        ComposeVerb("restart", summary: "Restart services (docker compose restart).", timeout: true),
        ComposeDown(),
        ComposeExec(),
        ComposeLogs(),
        ComposePs(),
        ComposeHealthy(),
    ]
}
