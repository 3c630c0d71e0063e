import RunbookCore
import RunbookEngine

/// The `compose.*` actions and checks: docker compose v2, always as argv.
public enum ComposeActions {
    public static let all: [any ExecutableAction] = [
        ComposeUp(),
        ComposeVerb("stop", summary: "Stop services (docker compose stop) without removing them."),
        ComposeVerb("start", summary: "Start stopped services (docker compose start)."),
        ComposeVerb("restart", summary: "Restart services (docker compose restart)."),
        ComposeDown(),
        ComposeExec(),
        ComposeLogs(),
        ComposeHealthy(),
    ]
}
