import RunbookCore
import RunbookEngine

/// The `s3.*` actions and checks.
public enum S3Actions {
    public static let all: [any ExecutableAction] = []
}
