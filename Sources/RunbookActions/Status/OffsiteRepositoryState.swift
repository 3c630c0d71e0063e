import Foundation

/// The offsite repository's part of `runbook info` and of the metrics file.
///
/// Extension point: the repository (Sources/RunbookActions/Repository) is not a profile
/// target yet, so nothing fills this in and `info` says "not configured". When the repository
/// becomes a target kind, `OffsiteRepositoryState.read` is the one place to change: find the
/// profile's repository target, read its manifest, and fill `databases` with the same facts
/// the local dumps give (newest, kept, last restore test); text, JSON and metrics already
/// render them.
public struct OffsiteRepositoryState: Sendable, Codable {
    public var configured: Bool
    /// Where the repository is (endpoint, bucket, prefix) when configured.
    public var location: String?
    public var databases: [DatabaseBackups]
    /// For people: why it says what it says.
    public var note: String

    public static let notConfigured = OffsiteRepositoryState(
        configured: false, location: nil, databases: [],
        note: "not configured: this build does not read an offsite repository yet (see OffsiteRepositoryState.read)")

    /// The extension point: reads the profile's offsite repository, when there is one.
    static func read() -> OffsiteRepositoryState { .notConfigured }
}
