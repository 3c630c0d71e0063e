import RunbookCore
import RunbookEngine

/// The media mirror's repository actions: push (names hidden) and fetch.
public enum MediaRepositoryActions {
    public static let all: [any ExecutableAction] = [PushMediaAction(), FetchMediaAction()]
}
