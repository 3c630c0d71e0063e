import RunbookCore
import RunbookEngine

/// The `file.*` actions and checks. They work in-process (no `rm`/`mkdir`
/// processes); their plans describe exactly what they will touch.
public enum FileActions {
    public static let all: [any ExecutableAction] = [
        FileExists(), FileMinSize(), FileMkdir(), FileRemove(), FileSHA256(),
    ]
}
