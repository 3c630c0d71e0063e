import RunbookEngine

/// The `repository.*` actions and checks that restore from the repository (docs/repository.md,
/// "Recovery from a bare host").
public enum RepositoryRestoreActions {
    public static let all: [any ExecutableAction] = [
        IdentityOpensCheck(),
        FetchDumps(),
        RecordOffsiteVerification(),
    ]
}
